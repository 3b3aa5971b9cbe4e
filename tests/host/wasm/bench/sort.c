/* Benchmark: sorting 400k pseudo-random integers (quicksort with insertion sort below 16),
 * twice, checked by a position-weighted checksum. */
#define N 400000
static unsigned a[N];
static void isort(unsigned *v, int n)
{
    for (int i = 1; i < n; i++) {
        unsigned x = v[i];
        int j = i - 1;
        while (j >= 0 && v[j] > x) {
            v[j + 1] = v[j];
            j--;
        }
        v[j + 1] = x;
    }
}
static void qsort_(unsigned *v, int n)
{
    while (n > 16) {
        unsigned p = v[n / 2];
        int i = 0, j = n - 1;
        while (i <= j) {
            while (v[i] < p) i++;
            while (v[j] > p) j--;
            if (i <= j) {
                unsigned t = v[i]; v[i] = v[j]; v[j] = t;
                i++; j--;
            }
        }
        if (j + 1 < n - i) {
            qsort_(v, j + 1);
            v += i; n -= i;
        } else {
            qsort_(v + i, n - i);
            n = j + 1;
        }
    }
    isort(v, n);
}
unsigned run(void);
unsigned run(void)
{
    unsigned sum = 0, x = 12345;
    for (int rep = 0; rep < 2; rep++) {
        for (int i = 0; i < N; i++) {
            x = x * 1103515245u + 12345u;
            a[i] = x >> 3;
        }
        qsort_(a, N);
        for (int i = 0; i < N; i++)
            sum += a[i] * (unsigned)(i + 1);
    }
    return sum;
}
