/* Tags a malloc from C, reads the tag's and the process's statistics through the C API, writes a
 * heap profile; exits non-zero on a wrong number. */
#include <nebula/debug/nebula_debug.h>

#include <stdio.h>
#include <stdlib.h>

static int failures = 0;

static void check(int condition, const char* what) {
    if (!condition) {
        fprintf(stderr, "consumer_c: FAILED %s\n", what);
        ++failures;
    }
}

int main(int argc, char** argv) {
    nebula_tag_scope scope;
    nebula_allocator_stats during;
    nebula_allocator_stats after;
    nebula_allocator_stats process;
    void* volatile block;
    const int tracking = nebula_tracking_enabled();
    const int counts_malloc = nebula_malloc_tracked();

    scope = nebula_push_tag("c.Chunks");
    block = malloc(4000);
    during = nebula_stats("c.Chunks");
    free(block);
    nebula_pop_tag(scope);
    after = nebula_stats("c.Chunks");
    process = nebula_stats(NULL);

    if (counts_malloc) {
        check(during.allocated_bytes == 4000, "malloc under the tag counted");
        check(during.allocation_count == 1, "one allocation under the tag");
        check(after.allocated_bytes == 0 && after.deallocation_count == 1, "free counted");
        check(after.peak_allocated_bytes == 4000, "the tag's peak");
        check(process.allocation_count > 0, "process statistics");
    } else if (!tracking) {
        check(during.allocated_bytes == 0 && process.allocation_count == 0, "compiled out: zeros");
    }
    check(nebula_stats("c.never used").allocation_count == 0, "unknown tag reads zero");
    if (argc > 1) {
        check((nebula_write_heap_profile(argv[1]) == 0) == (tracking != 0),
              "heap profile written exactly when tracking");
    }
    printf("consumer_c: tracking %s, malloc %s, %d failures\n", tracking ? "on" : "off",
           counts_malloc ? "counted" : "not counted", failures);
    return failures == 0 ? 0 : 1;
}
