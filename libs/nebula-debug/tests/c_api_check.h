/* C functions of c_api_check.c, called by c_api_tests.cpp. */
#ifndef NEBULA_DEBUG_TESTS_C_API_CHECK_H
#define NEBULA_DEBUG_TESTS_C_API_CHECK_H

#include <nebula/debug/nebula_debug.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Allocates `bytes` with malloc under `tag` and returns the tag's statistics before freeing. */
nebula_allocator_stats nebula_c_check_tagged_malloc(const char* tag, size_t bytes);
/* Pushes `outer` then `inner`, pops both; 1 when the inner scope remembered a different tag. */
int nebula_c_check_nested_tags(const char* outer, const char* inner);

#ifdef __cplusplus
}
#endif

#endif
