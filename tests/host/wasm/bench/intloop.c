/* Benchmark: integer loops (Collatz step counts, then a 64-bit mixing loop). */
unsigned run(void);
unsigned run(void)
{
    unsigned total = 0;
    for (unsigned n = 1; n < 300000; n++) {
        unsigned long long x = n;
        while (x != 1) {
            x = (x & 1) ? 3 * x + 1 : x >> 1;
            total++;
        }
    }
    unsigned long long h = 1469598103934665603ull;
    for (unsigned i = 0; i < 20000000; i++)
        h = (h ^ i) * 1099511628211ull;
    return total ^ (unsigned)(h >> 17);
}
