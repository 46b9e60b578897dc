/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz_words.h"

int fuzz_words_split(struct fuzz_words *w, const uint8_t *data, size_t size)
{
	size_t i;

	w->argc = 0;
	w->text = malloc(size + 1);
	if (!w->text)
		return -1;
	memcpy(w->text, data, size);
	w->text[size] = '\0';
	w->argv[w->argc++] = w->text;
	for (i = 0; i < size && w->argc < FUZZ_MAX_WORDS; i++)
		if (!w->text[i])
			w->argv[w->argc++] = w->text + i + 1;
	w->argv[w->argc] = NULL;
	return 0;
}

void fuzz_words_release(struct fuzz_words *w)
{
	free(w->text);
	w->text = NULL;
}
