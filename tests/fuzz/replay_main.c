/*
 * The main() that libFuzzer would provide, for replaying a corpus without
 * clang: feeds every file named on the command line (or found in a named
 * directory) to LLVMFuzzerTestOneInput once. Built with gcc and the
 * sanitizers, it makes the committed corpus a regression test in `make test`.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned replayed;

static int replay_file(const char *path)
{
    static uint8_t data[1 << 17];
    FILE *f = fopen(path, "rb");

    if (!f) {
        fprintf(stderr, "cannot read %s\n", path);
        return -1;
    }
    size_t size = fread(data, 1, sizeof data, f);
    fclose(f);
    /* An exact-size copy, so that AddressSanitizer sees any read past it. */
    uint8_t *exact = malloc(size ? size : 1);
    memcpy(exact, data, size);
    LLVMFuzzerTestOneInput(exact, size);
    free(exact);
    replayed++;
    return 0;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        struct stat info;
        if (stat(argv[i], &info) == 0 && S_ISDIR(info.st_mode)) {
            DIR *dir = opendir(argv[i]);
            struct dirent *entry;
            char path[4096];
            while (dir && (entry = readdir(dir)) != NULL) {
                if (entry->d_name[0] == '.')
                    continue;
                snprintf(path, sizeof path, "%s/%s", argv[i], entry->d_name);
                if (replay_file(path) < 0)
                    return 1;
            }
            if (dir)
                closedir(dir);
        } else if (replay_file(argv[i]) < 0) {
            return 1;
        }
    }
    printf("replayed %u inputs\n", replayed);
    return 0;
}
