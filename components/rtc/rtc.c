/* The real-time clock: reads QEMU virt's Goldfish RTC (TIME_LOW latches TIME_HIGH, so the
 * two halves are one instant) and serves the time of day through WallClock. */
#include <stdint.h>

#include ANV_INSTANCE_HEADER  /* this instance's generated header, named by the build */

#define RTC_TIME_LOW 0x00u    /* reading it latches TIME_HIGH */
#define RTC_TIME_HIGH 0x04u
/* 2000-01-01 00:00:00 UTC in ns: a clock before that was never set (QEMU sets it from the
 * host at start). */
#define RTC_SANE_NS UINT64_C(946684800000000000)

static volatile uint32_t *rtc_reg(uint32_t offset)
{
    return (volatile uint32_t *)((uintptr_t)GOLDFISH_RTC_RTC_REGS + offset);
}

int goldfish_rtc_clock_now(uint64_t badge, uint64_t *ns)
{
    (void)badge;
    uint64_t low = *rtc_reg(RTC_TIME_LOW);
    uint64_t high = *rtc_reg(RTC_TIME_HIGH);
    uint64_t t = high << 32 | low;
    if (t < RTC_SANE_NS)
        return (int)WALL_CLOCK_E_DEVICE;
    *ns = t;
    return ANV_OK;
}

int main(void)
{
    return goldfish_rtc_serve();
}
