// Reading demangled names: the shapes GCC 12 and clang 14 really produce (data/demangled_names.inc)
// and the frames a site of a program allocating through emplace_back and make_unique starts with.
#include <nebula/debug/allocation_sites.hpp>

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace nd = nebula::debug;

namespace {

constexpr const char* kCorpus[] = {
#include "data/demangled_names.inc"
};

TEST(FunctionBaseName, ReadsEveryShapeOfTheCorpus) {
    struct Case {
        std::string_view name;
        std::string_view expected;
    };
    constexpr Case kCases[] = {
        {"decltype (::new ((void*)(0)) std::vector<float, std::allocator<float> "
         ">((declval<int&>)())) "
         "std::construct_at<std::vector<float, std::allocator<float> >, int&>(std::vector<float, "
         "std::allocator<float> >*, int&)",
         "std::construct_at<std::vector<float, std::allocator<float> >, int&>"},
        {"decltype (std::__detail::__synth3way((declval<game::Vec*&>)(), "
         "(declval<game::Vec*&>)())) "
         "__gnu_cxx::operator<=><game::Vec*, std::vector<game::Vec, std::allocator<game::Vec> > "
         ">(__gnu_cxx::__normal_iterator<game::Vec*, std::vector<game::Vec, "
         "std::allocator<game::Vec> > > const&, __gnu_cxx::__normal_iterator<game::Vec*, "
         "std::vector<game::Vec, std::allocator<game::Vec> > > const&)",
         "__gnu_cxx::operator<=><game::Vec*, std::vector<game::Vec, std::allocator<game::Vec> > >"},
        {"game::BufferPool::frame(int)", "game::BufferPool::frame"},
        {"main::{lambda(int)#1}::operator()(int) const", "main::{lambda(int)#1}::operator()"},
        {"main::$_0::operator()(int) const", "main::$_0::operator()"},
        {"main::{lambda(int)#2} const& std::forward<main::{lambda(int)#2} const&>(std::remove_"
         "reference<main::{lambda(int)#2} const&>::type&)",
         "std::forward<main::{lambda(int)#2} const&>"},
        {"(anonymous namespace)::Loader::load(std::__cxx11::basic_string<char, "
         "std::char_traits<char>, std::allocator<char> > const&)",
         "(anonymous namespace)::Loader::load"},
        {"game::build_map[abi:cxx11](int) [clone .cold]", "game::build_map[abi:cxx11]"},
        {"std::string nebula::(anonymous namespace)::Symbols::line_of(unsigned long)",
         "nebula::(anonymous namespace)::Symbols::line_of"},
        {"f(int) [clone .isra.0] [clone .cold]", "f"},
        {"game::Vec::operator<(game::Vec const&) const", "game::Vec::operator<"},
        {"game::Vec::operator+(game::Vec const&) const", "game::Vec::operator+"},
        {"bool __gnu_cxx::operator==<game::Vec*, std::vector<game::Vec> >(int const&)",
         "__gnu_cxx::operator==<game::Vec*, std::vector<game::Vec> >"},
        {"std::basic_ostream<char, std::char_traits<char> >& std::operator<< "
         "<std::char_traits<char> >(std::basic_ostream<char, std::char_traits<char> >&, char "
         "const*)",
         "std::operator<< <std::char_traits<char> >"},
        {"operator new(unsigned long)", "operator new"},
        {"operator delete[](void*, unsigned long)", "operator delete[]"},
        {"Handle::operator bool() const", "Handle::operator bool"},
        {"Wrapper::operator std::vector<int, std::allocator<int> > const&() const",
         "Wrapper::operator std::vector<int, std::allocator<int> > const&"},
        {"void std::_Function_handler<void (int), main::{lambda(int)#2}>::_M_invoke(std::_Any_data "
         "const&, int&&)",
         "std::_Function_handler<void (int), main::{lambda(int)#2}>::_M_invoke"},
        {"Mesh::~Mesh()", "Mesh::~Mesh"},
        {"malloc", "malloc"},
        {"libc.so.6+0x9a1c", "libc.so.6+0x9a1c"},
        {"", ""},
    };
    for (const Case& c : kCases) {
        EXPECT_EQ(nd::function_base_name(c.name), c.expected) << c.name;
    }
}

// Every real name: its base name is where its parameter list starts, and no return type or
// decltype is left in it.
TEST(FunctionBaseName, EveryCorpusNameEndsWhereItsParametersStart) {
    ASSERT_GT(std::size(kCorpus), 500u);
    for (const std::string_view name : kCorpus) {
        const std::string_view base = nd::function_base_name(name);
        ASSERT_FALSE(base.empty()) << name;
        EXPECT_FALSE(base.starts_with("decltype")) << name;
        EXPECT_FALSE(base.starts_with("void ") || base.starts_with("bool ")) << name;
        const std::size_t at = static_cast<std::size_t>(base.data() - name.data());
        ASSERT_LE(at + base.size(), name.size()) << name;
        if (name.find('(') != std::string_view::npos && !name.starts_with("(anonymous")) {
            EXPECT_EQ(name[at + base.size()], '(') << name;
        }
    }
}

TEST(SiteFunction, IsTheFirstFrameOfTheProgramsOwnCode) {
    nd::AllocationSite site;
    // emplace_back: construct_at's decltype return type is not the caller's name.
    site.frames = {
        "decltype (::new ((void*)(0)) std::vector<float, std::allocator<float> "
        ">((declval<int&>)())) "
        "std::construct_at<std::vector<float, std::allocator<float> >, int&>(std::vector<float, "
        "std::allocator<float> >*, int&)",
        "void std::vector<std::vector<float, std::allocator<float> >, "
        "std::allocator<std::vector<float, std::allocator<float> > > "
        ">::_M_realloc_insert<int&>(int&)",
        "game::BufferPool::frame(int)", "main"};
    site.lines = {"stl_construct.h:97", "vector.tcc:123", "main.cpp:51", "main.cpp:80"};
    EXPECT_EQ(nd::site_function(site), "game::BufferPool::frame(int)");
    EXPECT_EQ(nd::site_summary(site, 1), "game::BufferPool::frame(int) at main.cpp:51 <- main");
    // make_unique from a lambda: the lambda is the program's code.
    site.frames = {"std::_MakeUniq<Mesh>::__single_object std::make_unique<Mesh, int&>(int&)",
                   "main::{lambda(int)#1}::operator()(int) const", "main"};
    EXPECT_EQ(nd::site_function(site), "main::{lambda(int)#1}::operator()(int) const");
    // The C library between the program and malloc: strdup's own frames and symbol-less modules.
    site.frames = {"__GI___strdup", "libc.so.6+0x9a1c", "_IO_file_doallocate",
                   "(anonymous namespace)::Loader::load(char const*) [clone .cold]"};
    EXPECT_EQ(nd::site_function(site),
              "(anonymous namespace)::Loader::load(char const*) [clone .cold]");
    // A C library function with an ordinary name, known by its module.
    site.frames = {"printf", "main"};
    site.system_frames = {true, false};
    EXPECT_EQ(nd::site_function(site), "main");
    site.system_frames = {};
    EXPECT_EQ(nd::site_function(site), "printf");
    // Nothing of the program's own: the innermost frame.
    site.frames = {"std::vector<int>::reserve(unsigned long)", "__libc_start_call_main"};
    EXPECT_EQ(nd::site_function(site), "std::vector<int>::reserve(unsigned long)");
    site.frames = {"?", "Player::spawn()"};
    EXPECT_EQ(nd::site_function(site), "Player::spawn()");
}

}  // namespace
