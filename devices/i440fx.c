/* The 82441FX host bridge (see i440fx.h). */
#include "devices/i440fx.h"

#include <string.h>

#include "mem/sv.h"

void i440fx_pam_region(unsigned region, uint32_t *base, uint32_t *size)
{
    if (region == 0) {
        *base = 0xF0000;
        *size = 0x10000;
    } else {
        *base = 0xC0000 + (region - 1) * 0x4000;
        *size = 0x4000;
    }
}

/* The RE/WE pair of a region from its PAM register nibble. */
static uint8_t pam_bits(const struct i440fx *h, unsigned region)
{
    if (region == 0)
        return (pci_get_byte(&h->dev, I440FX_PAM0) >> 4) & 3;
    uint8_t v = pci_get_byte(&h->dev, I440FX_PAM0 + (region + 1) / 2);
    return ((region - 1) & 1 ? v >> 4 : v) & 3;
}

static void report_pam(struct i440fx *h, bool all)
{
    for (unsigned r = 0; r < I440FX_PAM_REGIONS; r++) {
        uint8_t now = pam_bits(h, r);
        if (!all && now == h->pam_state[r])
            continue;
        h->pam_state[r] = now;
        if (h->pam_changed)
            h->pam_changed(h->opaque, r, now & 1, now & 2);
    }
}

/* What the SMRAM register lets a write change: D_LCK leaves only D_CLS
 * until the next reset. */
static uint8_t smram_wmask(uint8_t smram)
{
    if (smram & I440FX_SMRAM_D_LCK)
        return I440FX_SMRAM_D_CLS;
    return I440FX_SMRAM_D_OPEN | I440FX_SMRAM_D_CLS | I440FX_SMRAM_D_LCK | I440FX_SMRAM_G_SMRAME;
}

static void i440fx_config_write(struct pci_device *d, unsigned off, uint32_t val, unsigned size)
{
    struct i440fx *h = d->opaque;
    if (off <= I440FX_PAM0 + 6 && off + size > I440FX_PAM0)
        report_pam(h, false);
    if (off <= I440FX_SMRAM && off + size > I440FX_SMRAM) {
        /* Setting D_LCK clears D_OPEN and freezes everything but D_CLS
         * until the next reset. */
        uint8_t s = pci_get_byte(d, I440FX_SMRAM);
        if (s & I440FX_SMRAM_D_LCK) {
            pci_set_byte(d, I440FX_SMRAM, s & ~I440FX_SMRAM_D_OPEN);
            d->wmask[I440FX_SMRAM] = smram_wmask(s);
        }
    }
}

void i440fx_reset(struct i440fx *h)
{
    struct pci_device *d = &h->dev;
    struct pci_bus *pb = d->pb;
    uint8_t devfn = d->devfn;
    pci_device_init(d, I440FX_VENDOR, I440FX_DEVICE, 0x060000, 0x02, 0x00);
    d->pb = pb;
    d->devfn = devfn;
    d->opaque = h;
    d->config_write = i440fx_config_write;

    /* PCICMD: memory access and bus master are hardwired on; parity error
     * response (bit 6) and SERR# enable (bit 8) are the writable bits. */
    pci_set_word(d, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    d->wmask[PCI_COMMAND] = PCI_COMMAND_PARITY;
    d->wmask[PCI_COMMAND + 1] = PCI_COMMAND_SERR >> 8;
    pci_set_word(d, PCI_STATUS, 0x0280); /* medium DEVSEL#, fast back-to-back */
    d->wmask[PCI_LATENCY_TIMER] = 0xF8;

    /* Configuration, DRAM and cache control bytes: stored as written. */
    pci_set_wmask(d, 0x50, 9, 0xFF);   /* PMCCFG DETURBO DBC AXC DRAMR DRT DRAMC DRAMT */
    pci_set_wmask(d, I440FX_PAM0, 1, 0x30);
    pci_set_wmask(d, I440FX_PAM0 + 1, 6, 0x33);
    pci_set_wmask(d, I440FX_DRB0, 8, 0xFF);
    pci_set_wmask(d, 0x68, 1, 0xFF);   /* FDHC */
    pci_set_wmask(d, 0x70, 1, 0xF8);   /* MTT */
    pci_set_wmask(d, 0x71, 1, 0xFF);   /* CLT */
    pci_set_byte(d, I440FX_SMRAM, I440FX_SMRAM_C_BASE_SEG);
    d->wmask[I440FX_SMRAM] = smram_wmask(I440FX_SMRAM_C_BASE_SEG);
    pci_set_wmask(d, 0x90, 1, 0xFF);   /* ERRCMD */
    d->w1cmask[0x91] = 0xFF;           /* ERRSTS */

    /* DRB: the cumulative top of each of the 8 rows in 8 MiB units; all
     * the RAM is reported in row 0. */
    uint32_t units = (h->ram_size + (8u << 20) - 1) >> 23;
    if (units > 255)
        units = 255;
    for (unsigned i = 0; i < 8; i++)
        pci_set_byte(d, I440FX_DRB0 + i, (uint8_t)units);
    report_pam(h, true);
}

int i440fx_init(struct i440fx *h, struct pci_bus *pb, uint32_t ram_size,
                i440fx_pam_fn *pam_changed, void *opaque)
{
    memset(h, 0, sizeof(*h));
    h->pam_changed = pam_changed;
    h->opaque = opaque;
    h->ram_size = ram_size;
    int rc = pci_register(pb, &h->dev, I440FX_DEVFN);
    if (rc < 0)
        return rc;
    i440fx_reset(h);
    return 0;
}

void i440fx_save(const struct i440fx *h, struct sv_writer *w)
{
    (void)h;
    (void)w;
}

void i440fx_load(struct i440fx *h, struct sv_reader *r, unsigned version)
{
    (void)h;
    if (version != I440FX_SV_VERSION)
        sv_fail(r, "version %u, this Popek reads %u", version, I440FX_SV_VERSION);
}

void i440fx_post_load(struct i440fx *h)
{
    struct pci_device *d = &h->dev;
    d->wmask[I440FX_SMRAM] = smram_wmask(pci_get_byte(d, I440FX_SMRAM));
    report_pam(h, true);
}
