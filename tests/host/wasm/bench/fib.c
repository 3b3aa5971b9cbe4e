/* Benchmark: calls (naive recursive Fibonacci). */
static unsigned fib(unsigned n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}
unsigned run(void);
unsigned run(void)
{
    return fib(30);
}
