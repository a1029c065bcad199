using Connect.Shared.Configuration;

namespace Connect.Shared.Tests.Configuration;

public sealed class ConfigValuesTests
{
    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("5s", 5_000)]
    [InlineData("3m", 180_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData(" 2 d ", 172_800_000)]
    public void Durations_parse(string text, long milliseconds)
    {
        Assert.True(ConfigValues.TryParseDuration(text, out var duration));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
    }

    [Theory]
    [InlineData("5")]
    [InlineData("")]
    [InlineData("5 seconds")]
    [InlineData("s")]
    [InlineData("-5s")]
    public void Durations_without_a_known_unit_are_refused(string text) =>
        Assert.False(ConfigValues.TryParseDuration(text, out _));

    [Theory]
    [InlineData("5 MB", 5_000_000)]
    [InlineData("5MB", 5_000_000)]
    [InlineData("512 KiB", 524_288)]
    [InlineData("1 GiB", 1_073_741_824)]
    [InlineData("1024", 1024)]
    [InlineData("2.5 kb", 2_500)]
    public void Sizes_parse(string text, long bytes)
    {
        Assert.True(ConfigValues.TryParseSize(text, out var size));
        Assert.Equal(bytes, size.Bytes);
    }

    [Theory]
    [InlineData("big")]
    [InlineData("5 XB")]
    [InlineData("")]
    public void Bad_sizes_are_refused(string text) => Assert.False(ConfigValues.TryParseSize(text, out _));

    [Theory]
    [InlineData(":3939", null, 3939)]
    [InlineData("127.0.0.1:80", "127.0.0.1", 80)]
    [InlineData("[::1]:8080", "::1", 8080)]
    public void Listen_addresses_parse(string text, string? host, int port)
    {
        Assert.True(ListenAddress.TryParse(text, out var address));
        Assert.Equal(new ListenAddress(host, port), address);
    }

    [Theory]
    [InlineData("3939")]
    [InlineData(":0")]
    [InlineData(":70000")]
    [InlineData("host:port")]
    public void Bad_listen_addresses_are_refused(string text) => Assert.False(ListenAddress.TryParse(text, out _));
}
