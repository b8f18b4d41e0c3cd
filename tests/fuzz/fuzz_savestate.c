/* libFuzzer target: the savestate loader on a whole machine (p6, 2 MiB of
 * RAM, no VGA).  The input is a savestate's payload -- the list of
 * sections -- which the target wraps in a header with a good checksum and
 * compresses, so that the fuzzer works on what the sections hold rather
 * than on zlib.  The oracle is the loader's promise: a load that fails
 * leaves the machine byte for byte as it was (a save before and after
 * must be equal); one that succeeds must give a machine that runs (a few
 * hundred instructions, under the sanitizers) and then saves and loads
 * again.  With FUZZ_SV_SEED=FILE in the environment the baseline's own
 * payload is written there first, as a seed.  Built by `make
 * fuzz-savestate` with clang's -fsanitize=fuzzer,address,undefined. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "machine/machine.h"
#include "machine/savestate.h"

static struct machine *machine;
static uint8_t *baseline; /* a savestate file of the start state */
static size_t baseline_len;

static void die(const char *what)
{
    fprintf(stderr, "fuzz-savestate: %s\n", what);
    abort();
}

static void setup(void)
{
    struct machine_config cfg;
    machine_config_default(&cfg);
    cfg.ram_size = 2u << 20;
    cfg.no_vga = true;
    cfg.rtc_fixed = true;
    cfg.debugcon = fopen("/dev/null", "w");
    machine = calloc(1, sizeof(*machine));
    if (!machine || !cfg.debugcon || machine_init(machine, &cfg) < 0)
        die("cannot build the machine");
    /* A guest that keeps the devices busy: program PIT channel 0, unmask
     * it, enable interrupts and halt in a loop (the IDT is empty, so an
     * interrupt faults: all the better). */
    static const uint8_t code[] = {
        0xB0, 0x34, 0xE6, 0x43,             /* mov al,34h; out 43h,al */
        0xB0, 0x00, 0xE6, 0x40, 0xE6, 0x40, /* count 0: 65536 */
        0xB0, 0xFE, 0xE6, 0x21,             /* unmask IRQ0 */
        0xFB, 0xF4, 0xEB, 0xFD,             /* sti; hlt; jmp hlt */
    };
    memcpy(machine->bus.ram + 0x100000, code, sizeof code);
    struct machine_boot_regs regs = { 0, 0, 0, 0x90000 };
    machine_start_protected(machine, 0x100000, 0x08, &regs);
    for (int i = 0; i < 64; i++)
        machine_step(machine);
    char err[300];
    if (machine_savevm_buffer(machine, &baseline, &baseline_len, err, sizeof err) < 0)
        die(err);
    const char *seed = getenv("FUZZ_SV_SEED");
    if (seed) {
        uLongf plen = 0;
        for (int i = 0; i < 8; i++)
            plen |= (uLongf)baseline[16 + i] << (8 * i);
        uint8_t *payload = malloc(plen);
        FILE *f = fopen(seed, "wb");
        if (!payload || !f || uncompress(payload, &plen, baseline + 32, (uLong)(baseline_len - 32)) != Z_OK ||
            fwrite(payload, 1, plen, f) != plen)
            die("cannot write the seed");
        fclose(f);
        free(payload);
    }
}

/* A savestate file around payload. */
static uint8_t *wrap(const uint8_t *payload, size_t len, size_t *out_len)
{
    uLong bound = compressBound((uLong)len);
    uint8_t *out = malloc(32 + bound);
    if (!out)
        die("out of memory");
    uLongf clen = bound;
    if (compress2(out + 32, &clen, payload, (uLong)len, 1) != Z_OK)
        die("zlib");
    memcpy(out, SAVESTATE_MAGIC, 8);
    uint32_t crc = (uint32_t)crc32(0L, payload, (uInt)len);
    uint64_t fields[] = { SAVESTATE_FORMAT, 0 };
    for (int i = 0; i < 4; i++) {
        out[8 + i] = (uint8_t)(fields[0] >> (8 * i));
        out[12 + i] = 0;
        out[24 + i] = (uint8_t)(crc >> (8 * i));
        out[28 + i] = 0;
    }
    for (int i = 0; i < 8; i++)
        out[16 + i] = (uint8_t)((uint64_t)len >> (8 * i));
    *out_len = 32 + clen;
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!machine)
        setup();
    char err[300];
    if (machine_loadvm_buffer(machine, baseline, baseline_len, err, sizeof err) < 0)
        die(err);
    size_t flen;
    uint8_t *file = wrap(data, size, &flen);
    if (machine_loadvm_buffer(machine, file, flen, err, sizeof err) < 0) {
        uint8_t *after;
        size_t after_len;
        if (machine_savevm_buffer(machine, &after, &after_len, err, sizeof err) < 0)
            die(err);
        if (after_len != baseline_len || memcmp(after, baseline, baseline_len) != 0)
            die("a failed load changed the machine");
        free(after);
    } else {
        for (int i = 0; i < 300 && !machine->stop; i++)
            machine_step(machine);
        machine->stop = false;
        machine->pc.reset_pending = false;
        uint8_t *again;
        size_t again_len;
        if (machine_savevm_buffer(machine, &again, &again_len, err, sizeof err) < 0)
            die(err);
        if (machine_loadvm_buffer(machine, again, again_len, err, sizeof err) < 0) {
            fprintf(stderr, "fuzz-savestate: %s\n", err);
            die("a state the machine saved does not load");
        }
        free(again);
    }
    free(file);
    return 0;
}
