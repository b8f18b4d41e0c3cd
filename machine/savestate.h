/* Savestates: the whole machine -- CPU with its FPU, RAM, every device,
 * the clock, the disks' in-flight requests -- written to a file and read
 * back (docs/savestates.md has the format).  The guest's disk images are
 * not in it: they stay where they are, and a load checks that the same
 * media are attached. */
#ifndef POPEK_MACHINE_SAVESTATE_H
#define POPEK_MACHINE_SAVESTATE_H

#include <stddef.h>
#include <stdint.h>

struct machine;

#define SAVESTATE_MAGIC "POPEKSV\n"
#define SAVESTATE_FORMAT 1

/* Writes m's state to path (through a temporary file renamed into place,
 * so a failed save never leaves half a file where a good one was).
 * Call it between machine_run calls.  Returns 0, or -errno with a message
 * in err. */
int machine_savevm(struct machine *m, const char *path, char *err, size_t errlen);
/* Loads a state saved by machine_savevm into m, which must be built as
 * the saving machine was (model, RAM, devices, media).  On any error --
 * another format, a truncated or corrupted file, a value out of range,
 * another configuration -- m is left exactly as it was and -errno comes
 * back with the reason in err. */
int machine_loadvm(struct machine *m, const char *path, char *err, size_t errlen);
/* The same on a file's bytes in memory (for the fuzz target and tests). */
int machine_loadvm_buffer(struct machine *m, const uint8_t *data, size_t len, char *err, size_t errlen);
/* For rewind.c: a checkpoint is a savestate's payload alone (no header,
 * no compression: taking one costs a copy of the state), loaded without
 * the copy that undoes a failed load (it cannot fail but for a bug). */
int machine_checkpoint_save(struct machine *m, uint8_t **data, size_t *len);
int machine_loadvm_checkpoint(struct machine *m, const uint8_t *data, size_t len, char *err, size_t errlen);
/* The file's bytes for m's state, malloc'd into *data.  Returns 0 or -errno. */
int machine_savevm_buffer(struct machine *m, uint8_t **data, size_t *len, char *err, size_t errlen);

/* Asks machine_run to save to path at its next slice boundary, where no
 * timer is half fired (--at TIME:savevm FILE).  The run goes on. */
void machine_request_savevm(struct machine *m, const char *path);
/* The same for a load (the monitor's loadvm while the guest runs); a
 * failure is reported on standard error and the run goes on unchanged. */
void machine_request_loadvm(struct machine *m, const char *path);

#endif
