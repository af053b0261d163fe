#include "app_window/back_buffer_png.hpp"

#include <GLFW/glfw3.h>  // brings the system's OpenGL header
#include <stb_image_write.h>

#include <cstdint>
#include <filesystem>
#include <system_error>
#include <vector>

namespace nebula::app {

std::string save_back_buffer_png(const std::string& path, int width, int height) {
    if (width <= 0 || height <= 0) {
        return "the window has no pixels to save";
    }
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    std::error_code error;
    if (!parent.empty()) {
        std::filesystem::create_directories(parent, error);
        if (error) {
            return "cannot create " + parent.string() + ": " + error.message();
        }
    }

    const auto row_bytes = static_cast<std::size_t>(width) * 3;
    std::vector<std::uint8_t> pixels(row_bytes * static_cast<std::size_t>(height));
    glReadBuffer(GL_BACK);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadPixels(0, 0, width, height, GL_RGB, GL_UNSIGNED_BYTE, pixels.data());
    if (const GLenum gl_error = glGetError(); gl_error != GL_NO_ERROR) {
        return "glReadPixels failed with OpenGL error " + std::to_string(gl_error);
    }
    // OpenGL's rows run bottom-up, PNG's top-down.
    stbi_flip_vertically_on_write(1);
    if (stbi_write_png(path.c_str(), width, height, 3, pixels.data(),
                       static_cast<int>(row_bytes)) == 0) {
        return "cannot write " + path;
    }
    return {};
}

}  // namespace nebula::app
