/* SPDX-License-Identifier: GPL-2.0 */
/* Between the checker (model.c) and the real code it drives (model_code.c). */
#ifndef _MODEL_H
#define _MODEL_H

#include <stdbool.h>
#include <stddef.h>

struct relayx_buf;
struct relayx_chan;

/* model_code.c: relayx's own code, each call one operation of an actor */
void mc_write(struct relayx_chan *chan, const void *data, size_t len);
void *mc_write_begin(struct relayx_chan *chan, size_t len);
void mc_write_end(struct relayx_chan *chan);
void *mc_reserve(struct relayx_chan *chan, size_t len);
void mc_flush(struct relayx_buf *buf);
void mc_close(struct relayx_buf *buf);
long mc_read(struct relayx_buf *buf, void *dst, size_t max, bool *taken,
	     size_t *seq);
int mc_get(struct relayx_buf *buf, size_t *seq, size_t *off, size_t *len);
int mc_put(struct relayx_buf *buf, size_t seq);
bool mc_poll(struct relayx_buf *buf);
bool mc_done(struct relayx_buf *buf);
int mc_buf_full(struct relayx_buf *buf);
void mc_subbuf_start_reserve(struct relayx_buf *buf, size_t len);
size_t mc_off_bits(void);
size_t mc_committed(struct relayx_buf *buf);

/* model.c: the client's subbuf_start */
int model_subbuf_start(struct relayx_buf *buf, void *subbuf, void *prev,
		       size_t prev_padding);

/*
 * model.c: what gcc's -fsanitize=thread calls, without its run-time (the
 * instrumented file has them as built-ins already)
 */
#ifndef __SANITIZE_THREAD__
#define TSAN_DECL(n)					\
void __tsan_read##n(void *p);				\
void __tsan_write##n(void *p);				\
void __tsan_unaligned_read##n(void *p);			\
void __tsan_unaligned_write##n(void *p);		\
void __tsan_volatile_read##n(void *p);			\
void __tsan_volatile_write##n(void *p)
TSAN_DECL(1);
TSAN_DECL(2);
TSAN_DECL(4);
TSAN_DECL(8);
TSAN_DECL(16);
void __tsan_read_range(void *p, long len);
void __tsan_write_range(void *p, long len);
void __tsan_func_entry(void *p);
void __tsan_func_exit(void *p);
void __tsan_init(void);
#endif

#endif /* _MODEL_H */
