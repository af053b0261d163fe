#include "options.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <initializer_list>
#include <vector>

namespace demo = nebula::demo;
using ::testing::HasSubstr;

namespace {

demo::ParsedOptions parse(std::initializer_list<const char*> arguments) {
    const std::vector<const char*> list(arguments);
    return demo::parse_options(list);
}

TEST(DemoOptions, NoArgumentsOpenAWindowUntilClosed) {
    const demo::ParsedOptions parsed = parse({});
    EXPECT_TRUE(parsed.error.empty());
    EXPECT_FALSE(parsed.options.headless);
    EXPECT_FALSE(parsed.options.frames);
    EXPECT_FALSE(parsed.options.screenshot_path);
    EXPECT_FALSE(parsed.options.config_path);
    EXPECT_FALSE(parsed.options.snapshot_path);
    EXPECT_FALSE(parsed.options.capture_path);
}

TEST(DemoOptions, ReadsEveryFlagInBothSpellings) {
    const demo::ParsedOptions parsed =
        parse({"--headless", "--frames", "42", "--config=budgets.toml"});
    ASSERT_TRUE(parsed.error.empty()) << parsed.error;
    EXPECT_TRUE(parsed.options.headless);
    EXPECT_EQ(parsed.options.frames, 42);
    EXPECT_EQ(parsed.options.config_path, "budgets.toml");

    const demo::ParsedOptions window = parse({"--screenshot=out/panel.png", "--frames=7"});
    ASSERT_TRUE(window.error.empty()) << window.error;
    EXPECT_EQ(window.options.screenshot_path, "out/panel.png");
    EXPECT_EQ(window.options.frames, 7);
}

TEST(DemoOptions, SitesAndSelection) {
    EXPECT_FALSE(parse({"--headless"}).options.show_sites);
    EXPECT_TRUE(parse({"--headless", "--sites"}).options.show_sites);
    EXPECT_EQ(parse({"--sites=yes"}).error, "--sites takes no value");
    EXPECT_EQ(parse({"--select", "Meshes"}).options.selected_subsystem, "Meshes");
    EXPECT_FALSE(parse({"--headless"}).options.selected_subsystem);
    EXPECT_EQ(parse({"--select="}).error, "--select needs a subsystem name");
    EXPECT_EQ(parse({"--select"}).error, "--select needs a value");
    EXPECT_THAT(demo::usage_text("nebula-demo"), HasSubstr("--sites"));
    EXPECT_THAT(demo::usage_text("nebula-demo"), HasSubstr("--select SUBSYSTEM"));
}

TEST(DemoOptions, MarkAt) {
    EXPECT_FALSE(parse({"--headless"}).options.mark_at_seconds);
    EXPECT_EQ(parse({"--mark-at", "5"}).options.mark_at_seconds, 5.0);
    EXPECT_EQ(parse({"--mark-at=2.5"}).options.mark_at_seconds, 2.5);
    EXPECT_EQ(parse({"--mark-at", "0"}).options.mark_at_seconds, 0.0);
    for (const char* bad : {"-1", "soon", "5s", "", "nan", "inf", "1e7"}) {
        EXPECT_EQ(parse({"--mark-at", bad}).error,
                  std::string("--mark-at expects seconds from 0 to 1000000, not '") + bad + "'")
            << bad;
    }
    EXPECT_EQ(parse({"--mark-at"}).error, "--mark-at needs a value");
    EXPECT_THAT(demo::usage_text("nebula-demo"), HasSubstr("--mark-at SECONDS"));
}

TEST(DemoOptions, SnapshotGoesWithEveryMode) {
    EXPECT_EQ(parse({"--headless", "--snapshot", "run.json"}).options.snapshot_path, "run.json");
    const demo::ParsedOptions screenshot =
        parse({"--screenshot", "a.png", "--snapshot=out/run.json"});
    ASSERT_TRUE(screenshot.error.empty()) << screenshot.error;
    EXPECT_EQ(screenshot.options.snapshot_path, "out/run.json");
    EXPECT_EQ(parse({"--snapshot=w.json"}).options.snapshot_path, "w.json");
    EXPECT_THAT(demo::usage_text("nebula-demo"), HasSubstr("--snapshot FILE.json"));
}

TEST(DemoOptions, CaptureGoesWithEveryMode) {
    EXPECT_EQ(parse({"--headless", "--capture", "run.csv"}).options.capture_path, "run.csv");
    const demo::ParsedOptions screenshot =
        parse({"--screenshot", "a.png", "--capture=out/run.csv", "--snapshot", "run.json"});
    ASSERT_TRUE(screenshot.error.empty()) << screenshot.error;
    EXPECT_EQ(screenshot.options.capture_path, "out/run.csv");
    EXPECT_EQ(screenshot.options.snapshot_path, "run.json");
    EXPECT_EQ(parse({"--capture=w.csv"}).options.capture_path, "w.csv");
    EXPECT_THAT(demo::usage_text("nebula-demo"), HasSubstr("--capture FILE.csv"));
    EXPECT_EQ(parse({"--capture"}).error, "--capture needs a value");
    EXPECT_EQ(parse({"--capture="}).error, "--capture needs a file name");
}

TEST(DemoOptions, HelpInBothSpellings) {
    EXPECT_TRUE(parse({"--help"}).options.show_help);
    EXPECT_TRUE(parse({"-h"}).options.show_help);
    EXPECT_THAT(demo::usage_text("nebula-demo"), HasSubstr("Usage: nebula-demo"));
}

TEST(DemoOptions, RejectsUnknownFlagsAndStrayArguments) {
    EXPECT_EQ(parse({"--bogus"}).error, "unknown option '--bogus'");
    EXPECT_EQ(parse({"panel.png"}).error, "unknown option 'panel.png'");
}

TEST(DemoOptions, RejectsFrameCountsThatAreNotPositiveWholeNumbers) {
    for (const char* bad : {"0", "-3", "many", "12x", "", "1.5", "99999999999999999999"}) {
        EXPECT_THAT(parse({"--frames", bad}).error, HasSubstr("--frames expects a whole number"))
            << bad;
    }
    EXPECT_EQ(parse({"--frames", "100000000"}).options.frames, demo::kMaxFrames);
    EXPECT_THAT(parse({"--frames", "100000001"}).error, HasSubstr("--frames expects"));
}

TEST(DemoOptions, RejectsMissingAndUnexpectedValues) {
    EXPECT_EQ(parse({"--frames"}).error, "--frames needs a value");
    EXPECT_EQ(parse({"--config"}).error, "--config needs a value");
    EXPECT_EQ(parse({"--screenshot="}).error, "--screenshot needs a file name");
    EXPECT_EQ(parse({"--snapshot"}).error, "--snapshot needs a value");
    EXPECT_EQ(parse({"--snapshot="}).error, "--snapshot needs a file name");
    EXPECT_EQ(parse({"--headless=yes"}).error, "--headless takes no value");
}

TEST(DemoOptions, ScreenshotNeedsAWindow) {
    EXPECT_THAT(parse({"--headless", "--screenshot", "a.png"}).error,
                HasSubstr("cannot be combined with --headless"));
}

TEST(DemoOptions, ScenarioAndViewDistance) {
    const demo::ParsedOptions parsed = parse({"--scenario", "leak", "--view-distance=3"});
    EXPECT_TRUE(parsed.error.empty()) << parsed.error;
    EXPECT_EQ(parsed.options.scenario, "leak");
    EXPECT_EQ(parsed.options.view_distance, 3);
    EXPECT_EQ(parse({}).options.scenario, "explore");
}

TEST(DemoOptions, RejectsUnknownScenariosAndBadViewDistances) {
    EXPECT_THAT(parse({"--scenario", "flood"}).error,
                HasSubstr("unknown scenario 'flood' (one of explore, sector-transition, pressure, "
                          "leak, churn)"));
    EXPECT_THAT(parse({"--view-distance", "0"}).error,
                HasSubstr("--view-distance expects a whole number of chunks from 1 to"));
    EXPECT_THAT(parse({"--view-distance", "far"}).error, HasSubstr("not 'far'"));
}

TEST(DemoOptions, ServeTakesAnAddressAndAPort) {
    const demo::ParsedOptions port_only = parse({"--headless", "--serve", "9100"});
    ASSERT_TRUE(port_only.error.empty()) << port_only.error;
    ASSERT_TRUE(port_only.options.serve);
    EXPECT_EQ(port_only.options.serve->address, "127.0.0.1");
    EXPECT_EQ(port_only.options.serve->port, 9100);
    const demo::ParsedOptions both = parse({"--serve=0.0.0.0:0"});
    ASSERT_TRUE(both.options.serve) << both.error;
    EXPECT_EQ(both.options.serve->address, "0.0.0.0");
    EXPECT_EQ(both.options.serve->port, 0);
    const demo::ParsedOptions ipv6 = parse({"--serve", "[::1]:65535"});
    ASSERT_TRUE(ipv6.options.serve) << ipv6.error;
    EXPECT_EQ(ipv6.options.serve->address, "::1");
    EXPECT_EQ(ipv6.options.serve->port, 65535);
    EXPECT_FALSE(parse({"--headless"}).options.serve);
    EXPECT_THAT(demo::usage_text("nebula-demo"), HasSubstr("--serve [ADDR:]PORT"));
}

TEST(DemoOptions, ServeRefusesWhatIsNotAnEndpoint) {
    for (const char* bad : {"65536", "-1", "x", "", ":9100", "host:", "host:9x", "::1:9100",
                            "[]:9100", "[::1]", "host:9100:1"}) {
        const demo::ParsedOptions parsed = parse({"--serve", bad});
        EXPECT_THAT(parsed.error, HasSubstr("--serve expects [ADDRESS:]PORT")) << bad;
        EXPECT_FALSE(parsed.options.serve) << bad;
    }
    EXPECT_EQ(parse({"--serve"}).error, "--serve needs a value");
}

}  // namespace
