/* A thread that never blocks: at the highest priority, only its budget lets anyone else
 * run. kt_main measures how much time it takes. */
int main(void)
{
    for (volatile unsigned long n = 0;; n++) {
    }
}
