// An executable that links no module and loads them all with dlopen (RTLD_LOCAL), as an editor
// loads game modules, and links nebula::debug itself. Built with -DBUILD_SHARED_LIBS=ON, a tag set
// inside any module counts exactly and frees across modules balance. In the static build each
// module's copy of the tracker warns instead (checked by CTest).
#include <nebula/debug/tracking_allocator.hpp>

#include <gtest/gtest.h>

#include <dlfcn.h>

#include <string>

#include "module.hpp"

namespace nd = nebula::debug;

namespace {

template <class Function>
Function entry_point(void* module, const std::string& name) {
    auto function = reinterpret_cast<Function>(dlsym(module, name.c_str()));
    EXPECT_NE(function, nullptr) << name;
    return function;
}

TEST(DlopenOnly, ModulesLoadedLaterShareTheExecutablesTracker) {
    void* a = dlopen(NEBULA_MODULE_A_PATH, RTLD_NOW | RTLD_LOCAL);
    void* b = dlopen(NEBULA_MODULE_B_PATH, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(a, nullptr) << dlerror();
    ASSERT_NE(b, nullptr) << dlerror();
    const auto a_allocate = entry_point<ModuleAllocate>(a, "module_a_allocate");
    const auto b_free = entry_point<ModuleFree>(b, "module_b_free");
    const auto b_tag_bytes = entry_point<ModuleTagBytes>(b, "module_b_tag_bytes");
    ASSERT_TRUE(a_allocate && b_free && b_tag_bytes);
    const std::size_t before = nd::allocator_stats("module.module_a").allocated_bytes;
    void* block = a_allocate(4000);
    ASSERT_NE(block, nullptr);
#if NEBULA_MEMORY_TRACKING && NEBULA_SHARED_TRACKER
    EXPECT_EQ(nd::allocator_stats("module.module_a").allocated_bytes - before, 4000u);
    EXPECT_EQ(b_tag_bytes("module.module_a") - before, 4000u);
#endif
    b_free(block);
    EXPECT_EQ(nd::allocator_stats("module.module_a").allocated_bytes, before);
    dlclose(b);
    dlclose(a);
}

}  // namespace
