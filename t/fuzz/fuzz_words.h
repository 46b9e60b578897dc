/* SPDX-License-Identifier: MIT */
/* Shared by the harnesses: fuzz input cut into a NULL-ended argv. */
#ifndef UBR_FUZZ_WORDS_H
#define UBR_FUZZ_WORDS_H

#include <stddef.h>
#include <stdint.h>

#define FUZZ_MAX_WORDS 72 /* past the CLI's and the protocol's 64 */

struct fuzz_words {
	char *text; /* the input, NUL-terminated, NULs splitting the words */
	int argc;
	char *argv[FUZZ_MAX_WORDS + 1];
};

/*
 * Split data at its NUL bytes (each word a copy the parsers may keep
 * pointers into, as they do argv). 0, or -1 without memory.
 */
int fuzz_words_split(struct fuzz_words *w, const uint8_t *data, size_t size);
void fuzz_words_release(struct fuzz_words *w);

#endif /* UBR_FUZZ_WORDS_H */
