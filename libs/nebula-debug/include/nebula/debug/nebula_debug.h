/* The C API: tags and statistics for C code, C modules of a C++ engine and other languages'
 * bindings. C99 and C++. A C project (project(x LANGUAGES C)) links nebula::debug as it is: the
 * target brings the C++ runtime. Every function is safe to call from any thread, before main and
 * with tracking compiled out (then the statistics read zero and tags are ignored). */
#ifndef NEBULA_DEBUG_NEBULA_DEBUG_H
#define NEBULA_DEBUG_NEBULA_DEBUG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nebula_allocator_stats {
    size_t allocated_bytes;      /* requested bytes not yet freed */
    size_t peak_allocated_bytes; /* highest allocated_bytes seen */
    size_t allocation_count;     /* successful allocations so far */
    size_t deallocation_count;
} nebula_allocator_stats;

/* What nebula_push_tag replaced, to hand back to nebula_pop_tag. */
typedef struct nebula_tag_scope {
    uint16_t previous;
} nebula_tag_scope;

/* 1 when the tracking allocator replaces operator new/delete, 0 when it is compiled out. */
int nebula_tracking_enabled(void);

/* 1 when malloc, free and the rest of the C allocation family are counted too (not under
 * AddressSanitizer or ThreadSanitizer, nor on Windows), 0 otherwise. */
int nebula_malloc_tracked(void);

/* From now on this thread's allocations are charged to the tag `name` (registered on first use;
 * NULL: untagged), until the nebula_pop_tag of the scope it returns. Scopes nest and must be
 * popped in reverse order, on the thread that pushed them. Never allocates. */
nebula_tag_scope nebula_push_tag(const char* name);
void nebula_pop_tag(nebula_tag_scope scope);

/* The allocator's statistics for one tag (zeros for a name never used), or for the whole process
 * when `tag` is NULL. */
nebula_allocator_stats nebula_stats(const char* tag);

/* Writes a pprof heap profile of the sampled allocations (gzip) to `path`. 0 on success, -1 when
 * the file cannot be written, `path` is NULL or tracking is compiled out. */
int nebula_write_heap_profile(const char* path);

#ifdef __cplusplus
}
#endif

#endif /* NEBULA_DEBUG_NEBULA_DEBUG_H */
