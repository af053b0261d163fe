#include "heap_profile.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <limits>
#include <memory>
#include <new>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>

namespace nebula::debug::detail {
namespace {

// profile.proto's field numbers; only the fields this writer fills.
namespace field {
constexpr std::uint32_t kProfileSampleType = 1;
constexpr std::uint32_t kProfileSample = 2;
constexpr std::uint32_t kProfileLocation = 4;
constexpr std::uint32_t kProfileFunction = 5;
constexpr std::uint32_t kProfileStringTable = 6;
constexpr std::uint32_t kProfileTimeNanos = 9;
constexpr std::uint32_t kProfilePeriodType = 11;
constexpr std::uint32_t kProfilePeriod = 12;
constexpr std::uint32_t kProfileComment = 13;
constexpr std::uint32_t kProfileDefaultSampleType = 14;
constexpr std::uint32_t kValueTypeType = 1;
constexpr std::uint32_t kValueTypeUnit = 2;
constexpr std::uint32_t kSampleLocationId = 1;
constexpr std::uint32_t kSampleValue = 2;
constexpr std::uint32_t kSampleLabel = 3;
constexpr std::uint32_t kLabelKey = 1;
constexpr std::uint32_t kLabelStr = 2;
constexpr std::uint32_t kLocationId = 1;
constexpr std::uint32_t kLocationLine = 4;
constexpr std::uint32_t kLineFunctionId = 1;
constexpr std::uint32_t kFunctionId = 1;
constexpr std::uint32_t kFunctionName = 2;
constexpr std::uint32_t kFunctionSystemName = 3;
}  // namespace field

constexpr std::uint32_t kWireVarint = 0;
constexpr std::uint32_t kWireLengthDelimited = 2;

// The protobuf wire format, appended to a string. Nested messages are encoded into their own
// Encoder first: their length prefix must precede them and profiles are small enough for the copy.
class Encoder {
public:
    void varint(std::uint64_t value) {
        while (value >= 0x80) {
            bytes_.push_back(static_cast<char>((value & 0x7f) | 0x80));
            value >>= 7;
        }
        bytes_.push_back(static_cast<char>(value));
    }

    // Proto3 omits fields at their default value; readers treat a missing field as zero.
    void uint64_field(std::uint32_t number, std::uint64_t value) {
        if (value != 0) {
            key(number, kWireVarint);
            varint(value);
        }
    }

    // int64 is a plain varint of the two's complement (not zigzag), so negatives take 10 bytes.
    void int64_field(std::uint32_t number, std::int64_t value) {
        uint64_field(number, static_cast<std::uint64_t>(value));
    }

    // Unlike scalars, an empty string is written: string_table[0] must exist and be "".
    void bytes_field(std::uint32_t number, std::string_view value) {
        key(number, kWireLengthDelimited);
        varint(value.size());
        bytes_.append(value);
    }

    void message_field(std::uint32_t number, const Encoder& message) {
        bytes_field(number, message.bytes_);
    }

    template <typename Integer>
    void packed_field(std::uint32_t number, std::span<const Integer> values) {
        if (values.empty()) {
            return;
        }
        Encoder packed;
        for (const Integer value : values) {
            packed.varint(static_cast<std::uint64_t>(value));
        }
        message_field(number, packed);
    }

    std::string take() { return std::move(bytes_); }

private:
    void key(std::uint32_t number, std::uint32_t wire_type) {
        varint((static_cast<std::uint64_t>(number) << 3) | wire_type);
    }

    std::string bytes_;
};

// Interns strings into the profile's string table, whose index 0 must be "".
class StringTable {
public:
    StringTable() { index(""); }

    std::uint64_t index(const std::string& text) {
        const auto [it, inserted] = indices_.try_emplace(text, order_.size());
        if (inserted) {
            // The map's nodes never move, so the view stays valid as the table grows.
            order_.push_back(it->first);
        }
        return it->second;
    }

    void encode(Encoder& profile) const {
        for (const std::string_view text : order_) {
            profile.bytes_field(field::kProfileStringTable, text);
        }
    }

private:
    std::unordered_map<std::string, std::uint64_t> indices_;
    std::vector<std::string_view> order_;
};

Encoder value_type(StringTable& strings, const std::string& type, const std::string& unit) {
    Encoder message;
    message.int64_field(field::kValueTypeType, static_cast<std::int64_t>(strings.index(type)));
    message.int64_field(field::kValueTypeUnit, static_cast<std::int64_t>(strings.index(unit)));
    return message;
}

std::int64_t as_int64(std::size_t value) noexcept {
    return static_cast<std::int64_t>(
        std::min<std::uint64_t>(value, std::numeric_limits<std::int64_t>::max()));
}

// Functions and locations, one of each per distinct name, sharing their id.
class Frames {
public:
    explicit Frames(StringTable& strings) : strings_(strings) {}

    std::uint64_t location_id(const std::string& name) {
        const auto [it, inserted] = ids_.try_emplace(name, ids_.size() + 1);
        if (inserted) {
            const std::uint64_t id = it->second;
            const auto name_index = static_cast<std::int64_t>(strings_.index(name));

            Encoder function;
            function.uint64_field(field::kFunctionId, id);
            function.int64_field(field::kFunctionName, name_index);
            function.int64_field(field::kFunctionSystemName, name_index);
            functions_.message_field(field::kProfileFunction, function);

            // No mapping and no address: the line names the function, so pprof has nothing to
            // symbolize and needs no binary.
            Encoder line;
            line.uint64_field(field::kLineFunctionId, id);
            Encoder location;
            location.uint64_field(field::kLocationId, id);
            location.message_field(field::kLocationLine, line);
            locations_.message_field(field::kProfileLocation, location);
        }
        return it->second;
    }

    std::string take_locations() { return locations_.take(); }
    std::string take_functions() { return functions_.take(); }

private:
    StringTable& strings_;
    std::unordered_map<std::string, std::uint64_t> ids_;
    Encoder locations_;
    Encoder functions_;
};

Encoder sample(const AllocationSite& site, StringTable& strings, Frames& frames) {
    std::vector<std::uint64_t> location_ids;
    location_ids.reserve(site.frames.size());
    for (const std::string& name : site.frames) {
        location_ids.push_back(frames.location_id(name));
    }
    // In the order of the sample types.
    const std::int64_t values[] = {as_int64(site.allocated_allocations),
                                   as_int64(site.allocated_bytes), as_int64(site.live_allocations),
                                   as_int64(site.live_bytes), as_int64(site.live_samples)};

    Encoder label;
    label.int64_field(field::kLabelKey, static_cast<std::int64_t>(strings.index("tag")));
    label.int64_field(field::kLabelStr, static_cast<std::int64_t>(strings.index(site.tag)));

    Encoder message;
    message.packed_field(field::kSampleLocationId, std::span<const std::uint64_t>(location_ids));
    message.packed_field(field::kSampleValue, std::span<const std::int64_t>(values));
    message.message_field(field::kSampleLabel, label);
    return message;
}

std::string gzip(const std::string& data) {
    z_stream stream{};
    // 15 + 16: the largest window, with a gzip header and trailer rather than zlib's.
    if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK) {
        throw std::bad_alloc();  // deflateInit2's only failure with valid arguments
    }
    const std::unique_ptr<z_stream, int (*)(z_stream*)> end(&stream, deflateEnd);
    // Room for all of it (deflateBound counts the gzip header and trailer): one deflate call.
    std::string compressed(deflateBound(&stream, static_cast<uLong>(data.size())), '\0');
    // zlib's interface is not const-correct; deflate only reads its input.
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    stream.avail_in = static_cast<uInt>(data.size());
    stream.next_out = reinterpret_cast<Bytef*>(compressed.data());
    stream.avail_out = static_cast<uInt>(compressed.size());
    if (deflate(&stream, Z_FINISH) != Z_STREAM_END) {
        throw std::bad_alloc();  // with a bound-sized output, only a lack of memory stops it
    }
    compressed.resize(stream.total_out);
    return compressed;
}

struct FileCloser {
    void operator()(std::FILE* file) const { std::fclose(file); }
};

bool fail(std::string* error, const std::string& path, std::string_view reason) noexcept {
    if (error != nullptr) {
        try {
            *error = "cannot write the heap profile '" + path + "': ";
            *error += reason;
        } catch (...) {
            // Out of memory for the message itself: the false return must do.
        }
    }
    return false;
}

bool write_file(const std::string& path, const std::string& bytes, std::string* error) {
    const auto errno_reason = [] { return std::generic_category().message(errno); };
    std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "wb"));
    if (!file) {
        return fail(error, path, errno_reason());
    }
    if (std::fwrite(bytes.data(), 1, bytes.size(), file.get()) != bytes.size() ||
        std::fflush(file.get()) != 0) {
        return fail(error, path, errno_reason());
    }
    if (std::fclose(file.release()) != 0) {
        return fail(error, path, errno_reason());
    }
    return true;
}

}  // namespace

std::size_t rounded_estimate(double estimate) noexcept {
    // Kept from llround, whose result is unspecified for a NaN or beyond its range.
    constexpr double kLimit = 9.2e18;  // below INT64_MAX, which a double cannot hold exactly
    if (std::isnan(estimate) || estimate <= 0) {
        return 0;
    }
    if (estimate >= kLimit) {
        return static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
    }
    return static_cast<std::size_t>(std::llround(estimate));
}

std::string tag_in_use_comment(const TagInUse& tag) {
    return "nebula-debug tag in use: " + std::to_string(tag.bytes) + " bytes in " +
           std::to_string(tag.blocks) + " blocks: " + tag.name;
}

std::string encode_heap_profile(std::span<const AllocationSite> sites,
                                std::uint64_t sampling_interval, std::span<const TagInUse> tags) {
    StringTable strings;
    Frames frames(strings);
    Encoder profile;

    profile.message_field(field::kProfileSampleType, value_type(strings, "alloc_objects", "count"));
    profile.message_field(field::kProfileSampleType, value_type(strings, "alloc_space", "bytes"));
    profile.message_field(field::kProfileSampleType, value_type(strings, "inuse_objects", "count"));
    profile.message_field(field::kProfileSampleType, value_type(strings, "inuse_space", "bytes"));
    profile.message_field(field::kProfileSampleType, value_type(strings, "samples", "count"));
    for (const AllocationSite& site : sites) {
        profile.message_field(field::kProfileSample, sample(site, strings, frames));
    }

    // Encoder appends raw bytes, so the already-encoded repeated fields can be spliced in whole.
    std::string bytes = profile.take();
    bytes += frames.take_locations();
    bytes += frames.take_functions();

    Encoder tail;
    tail.int64_field(field::kProfileTimeNanos,
                     std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count());
    tail.message_field(field::kProfilePeriodType, value_type(strings, "space", "bytes"));
    tail.int64_field(field::kProfilePeriod, static_cast<std::int64_t>(sampling_interval));
    tail.int64_field(field::kProfileDefaultSampleType,
                     static_cast<std::int64_t>(strings.index("inuse_space")));
    std::vector<std::uint64_t> comments;
    comments.reserve(tags.size());
    for (const TagInUse& tag : tags) {
        comments.push_back(strings.index(tag_in_use_comment(tag)));
    }
    tail.packed_field(field::kProfileComment, std::span<const std::uint64_t>(comments));
    // Last, once every string above is interned; a reader takes the fields in any order.
    strings.encode(tail);
    bytes += tail.take();
    return bytes;
}

std::string gzip_heap_profile(std::span<const AllocationSite> sites,
                              std::uint64_t sampling_interval, std::span<const TagInUse> tags) {
    return gzip(encode_heap_profile(sites, sampling_interval, tags));
}

bool write_heap_profile_file(std::span<const AllocationSite> sites, std::uint64_t sampling_interval,
                             const std::string& path, std::string* error,
                             std::span<const TagInUse> tags) noexcept {
    try {
        return write_file(path, gzip_heap_profile(sites, sampling_interval, tags), error);
    } catch (const std::exception& exception) {
        return fail(error, path, exception.what());
    }
}

}  // namespace nebula::debug::detail
