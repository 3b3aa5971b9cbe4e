/* Eva driver for the ELF inspector (kernel/boot/elf.c): a file of up to EVA_ELF_MAX
 * bytes whose every byte is unknown, inspected with an unknown length. */
#include "__fc_builtin.h"

#include "boot/elf.h"

/* An ELF header and eight program headers: room for every path elf_inspect takes. */
#define EVA_ELF_MAX (64 + 9 * 56)

static unsigned char eva_file[EVA_ELF_MAX];

int main(void)
{
    struct elf_info info;
    Frama_C_make_unknown((char *)eva_file, sizeof eva_file);
    size_t len = Frama_C_size_t_interval(0, sizeof eva_file);
    enum elf_status s = elf_inspect(eva_file, len, &info);
    const char *msg = elf_strerror(s);
    return msg[0] == 0 ? -1 : (int)s;
}
