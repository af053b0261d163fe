// One tracker per process, whatever is a shared library. Two modules linked at start and one
// loaded with dlopen (RTLD_LOCAL, as an editor loads game modules) allocate under their own tags
// and free each other's blocks on several threads. Built with -DBUILD_SHARED_LIBS=ON, the
// executable and every module share libnebula-debug-allocator: every tag counts exactly, seen from
// any module, and no copy warns (CTest checks the output). In the default static build each module
// holds a copy of the tracker of its own, which must say so at start-up, naming itself and the
// process's tracker (CTest checks the warning; the counting tests do not apply there).
#include <nebula/debug/tracking_allocator.hpp>

#include <gtest/gtest.h>

#include <dlfcn.h>

#include <thread>
#include <vector>

#include "module.hpp"

namespace nd = nebula::debug;

// Whatever the build, a module's block may go back through another module (this also keeps both
// modules linked at start: the linker drops a library nothing calls).
TEST(SharedModules, ABlockMayBeFreedByAnotherModule) {
    void* block = module_a_allocate(64);
    ASSERT_NE(block, nullptr);
    module_b_free(block);
}

#if NEBULA_MEMORY_TRACKING && NEBULA_SHARED_TRACKER

namespace {

struct LoadedModule {
    void* handle = nullptr;
    ModuleAllocate allocate = nullptr;
    ModuleFree free = nullptr;
    ModuleTagBytes tag_bytes = nullptr;
};

LoadedModule load_module(const char* path, const char* name) {
    LoadedModule module;
    module.handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (module.handle == nullptr) {
        ADD_FAILURE() << "dlopen " << path << ": " << dlerror();
        return module;
    }
    const std::string prefix(name);
    module.allocate =
        reinterpret_cast<ModuleAllocate>(dlsym(module.handle, (prefix + "_allocate").c_str()));
    module.free = reinterpret_cast<ModuleFree>(dlsym(module.handle, (prefix + "_free").c_str()));
    module.tag_bytes =
        reinterpret_cast<ModuleTagBytes>(dlsym(module.handle, (prefix + "_tag_bytes").c_str()));
    EXPECT_TRUE(module.allocate && module.free && module.tag_bytes);
    return module;
}

TEST(SharedModules, TagsSetInsideModulesCountExactlyAndCrossModuleFreesBalance) {
    const LoadedModule c = load_module(NEBULA_MODULE_C_PATH, "module_c");
    ASSERT_NE(c.handle, nullptr);
    const std::size_t a_before = nd::allocator_stats("module.module_a").allocated_bytes;
    const std::size_t c_before = nd::allocator_stats("module.module_c").allocated_bytes;

    constexpr int kThreads = 4;
    constexpr int kBlocks = 200;
    std::vector<std::vector<void*>> made(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kBlocks; ++i) {
                made[t].push_back(t % 2 == 0 ? module_a_allocate(100) : c.allocate(300));
            }
        });
    }
    for (std::thread& thread : threads) {
        thread.join();
    }
    // Every view of the tag agrees: the executable's, module b's (which made none) and c's.
    const std::size_t a_bytes = 2 * kBlocks * 100;
    const std::size_t c_bytes = 2 * kBlocks * 300;
    EXPECT_EQ(nd::allocator_stats("module.module_a").allocated_bytes - a_before, a_bytes);
    EXPECT_EQ(module_b_tag_bytes("module.module_a") - a_before, a_bytes);
    EXPECT_EQ(c.tag_bytes("module.module_c") - c_before, c_bytes);
    EXPECT_EQ(module_a_tag_bytes("module.module_c") - c_before, c_bytes);

    // Blocks go back through other modules than the ones that made them, on other threads.
    threads.clear();
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (void* block : made[(t + 1) % kThreads]) {
                (t % 2 == 0 ? module_b_free : c.free)(block);
            }
        });
    }
    for (std::thread& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(nd::allocator_stats("module.module_a").allocated_bytes, a_before);
    EXPECT_EQ(nd::allocator_stats("module.module_c").allocated_bytes, c_before);
    dlclose(c.handle);
}

}  // namespace

#endif
