/* The C API used from C99 (compiled with -std=c99 -pedantic -Werror by the tests' CMakeLists):
 * c_api_tests.cpp calls these and checks what they saw. */
#include <nebula/debug/nebula_debug.h>

#include <stdlib.h>

#include "c_api_check.h"

nebula_allocator_stats nebula_c_check_tagged_malloc(const char* tag, size_t bytes) {
    nebula_allocator_stats during;
    nebula_tag_scope scope = nebula_push_tag(tag);
    void* block = malloc(bytes);
    during = nebula_stats(tag);
    free(block);
    nebula_pop_tag(scope);
    return during;
}

int nebula_c_check_nested_tags(const char* outer, const char* inner) {
    nebula_tag_scope outer_scope = nebula_push_tag(outer);
    nebula_tag_scope inner_scope = nebula_push_tag(inner);
    nebula_pop_tag(inner_scope);
    nebula_pop_tag(outer_scope);
    return inner_scope.previous != outer_scope.previous;
}
