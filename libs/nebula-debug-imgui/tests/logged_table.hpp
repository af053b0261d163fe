// The panel's table as ImGui's logging writes it (HeadlessImGui::frame's text), read back by
// header and row name: what the panel tests and nebula-viewer's tests compare.
#pragma once

#include <nebula/debug/tracking_allocator.hpp>

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace nebula::debug::imgui::testing {

// A table as ImGui's logging writes it: every cell opens with '|' and every row closes with
// one, so each row is its cells plus one empty piece. Rows are not reliably on lines of their
// own, so they are split by the header count. The subsystems' table by default; the Sites pane's
// with its first and last headers.
class LoggedTable {
public:
    explicit LoggedTable(const std::string& text, std::string_view first_header = "Subsystem",
                         std::string_view last_header = tracking_allocator_enabled()
                                                            ? "Allocs/frame"
                                                            : "History") {
        std::vector<std::string> cells;
        std::size_t begin = text.find('|');
        while (begin != std::string::npos) {
            const std::size_t end = text.find('|', begin + 1);
            cells.push_back(trimmed(text.substr(
                begin + 1, end == std::string::npos ? std::string::npos : end - begin - 1)));
            begin = end;
        }
        auto cell = std::find(cells.begin(), cells.end(), first_header);
        for (; cell != cells.end(); ++cell) {
            headers_.push_back(*cell);
            if (*cell == last_header) {
                ++cell;
                break;
            }
        }
        const auto row_width = static_cast<std::ptrdiff_t>(headers_.size());
        while (cell != cells.end() && cells.end() - cell > row_width) {
            ++cell;  // the piece between the previous row's closing '|' and this row's first
            rows_.emplace_back(cell, cell + row_width);
            cell += row_width;
        }
    }

    const std::vector<std::string>& headers() const { return headers_; }

    std::vector<std::string> names() const {
        std::vector<std::string> names;
        for (const std::vector<std::string>& row : rows_) {
            names.push_back(row.front());
        }
        return names;
    }

    // The cell of `row_name`'s row under `header`, or "<absent>".
    std::string cell(std::string_view row_name, std::string_view header) const {
        const auto column = std::find(headers_.begin(), headers_.end(), header);
        for (const std::vector<std::string>& row : rows_) {
            if (row.front() == row_name && column != headers_.end()) {
                return row[static_cast<std::size_t>(column - headers_.begin())];
            }
        }
        return "<absent>";
    }

private:
    static std::string trimmed(const std::string& text) {
        const std::size_t first = text.find_first_not_of(" \n");
        if (first == std::string::npos) {
            return {};
        }
        return text.substr(first, text.find_last_not_of(" \n") - first + 1);
    }

    std::vector<std::string> headers_;
    std::vector<std::vector<std::string>> rows_;
};

}  // namespace nebula::debug::imgui::testing
