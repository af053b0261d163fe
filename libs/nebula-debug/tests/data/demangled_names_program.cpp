// The program behind demangled_names.inc: the shapes of names a site's frames take (decltype
// return types, lambdas of both compilers, operator(), templates, clones, anonymous namespaces,
// ABI tags). Not built by the project; to refresh the corpus:
//   for cc in g++ clang++; do for o in -O0 -O2; do
//     $cc -std=c++20 -g $o demangled_names_program.cpp -o p && nm -C p; done; done
// then keep the text symbols (t, T, w, W), sorted and deduplicated.
#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>
namespace {
struct Loader {
    std::vector<std::string> names;
    void load(const std::string& n) { names.push_back(n); }
};
}  // namespace
namespace game {
struct Mesh {
    std::vector<float> v;
    explicit Mesh(int n) : v(n) {}
};
struct BufferPool {
    std::vector<std::vector<float>> buffers;
    void frame(int n) { buffers.emplace_back(n); }
};
template <typename T>
struct Pool {
    std::vector<std::unique_ptr<T>> items;
    template <typename... A>
    T& make(A&&... a) {
        return *items.emplace_back(std::make_unique<T>(std::forward<A>(a)...));
    }
};
struct Callable {
    std::vector<int> operator()(int n) const { return std::vector<int>(n); }
};
struct Vec {
    int x;
    Vec operator+(const Vec& o) const { return {x + o.x}; }
    bool operator<(const Vec& o) const { return x < o.x; }
};
__attribute__((noinline)) std::map<int, std::string> build_map(int n) {
    std::map<int, std::string> m;
    for (int i = 0; i < n; ++i)
        m[i] = std::to_string(i);
    return m;
}
}  // namespace game
int main(int argc, char**) {
    game::BufferPool pool;
    pool.frame(argc);
    game::Pool<game::Mesh> meshes;
    meshes.make(argc);
    Loader l;
    l.load("x");
    auto lambda = [&](int n) { return std::make_unique<game::Mesh>(n); };
    auto m = lambda(argc);
    std::function<void(int)> f = [&](int n) { pool.frame(n); };
    f(argc);
    auto v = game::Callable{}(argc);
    std::vector<game::Vec> vs{{3}, {1}};
    std::sort(vs.begin(), vs.end());
    auto mp = game::build_map(argc);
    std::shared_ptr<game::Mesh> s = std::make_shared<game::Mesh>(argc);
    return int(v.size() + mp.size() + (vs[0] + vs[1]).x);
}
