/* Shared by the hostile scenario components: request labels and the fixed slots and
 * addresses they use. */
#ifndef ANVAYA_HOSTILE_H
#define ANVAYA_HOSTILE_H

#include <stdint.h>

/* hvictim's requests (raw IPC on its `svc` endpoint). */
#define HV_TAKE 1   /* caps arrive; reply mr[i] = slot each landed in, mr[4] = manifest top */
#define HV_MAKE 2   /* make run-time caps of its own; reply the result of each step */
#define HV_PROBE 3  /* reply mr0 = occupied-slot bitmap, mr1 = gen-0 bitmap, mr2 = restart arg */
#define HV_REMAP 4  /* allocate and map at HV_MAP_VADDR again; reply the results */

/* Where hvictim puts what it makes (HV_MAKE): chosen slots above its manifest. */
#define HV_FRAME_SLOT 50u
#define HV_MAP_SLOT 51u
#define HV_COPY_SLOT 52u
#define HV_REMAP_FRAME_SLOT 53u
#define HV_REMAP_MAP_SLOT 54u
#define HV_MAP_VADDR 0x38000000ull
#define HV_MARKER 0x0B5E55EDull

/* hdodge's requests (raw IPC on its `ctl` endpoint). */
#define HD_START 1   /* (sent) synchronise on a budget refill, then dodge for HD_PERIODS */
#define HD_RESULTS 2 /* reply mr0 = own CPU, mr1 = window, mr2 = ticks dodged, mr3 = refills */
#define HD_PERIODS 10u
#define HD_PERIOD_UNITS 1000000u /* 100 ms at the 10 MHz timebase */
#define HD_TICK_UNITS 100000u    /* 10 ms */

#endif
