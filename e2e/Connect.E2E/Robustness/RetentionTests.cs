using System.Net.Http.Json;
using System.Text.Json;
using Connect.Testing;

namespace Connect.E2E.Robustness;

/// <summary>A node prunes old bundles (with their files) past Applications.BundleRetentionLimit, and keeps the live one.</summary>
public sealed class RetentionTests : IDisposable
{
    private readonly TempDirectory _folder = new("connect-retention");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Bundles_past_the_limit_go_with_their_files_once_settled_and_the_live_one_stays()
    {
        await using var node = NodeProcess.Start(_folder, "node", "[Applications]\nBundleRetentionLimit = 2\nBundleReapFrequency = 2s\n");
        await node.WaitUntilServingAsync();
        using var admin = node.ClientWithKey(node.AdminKey);
        var guid = await node.DeployAsync("site", TestBundles.StaticSite("edition 1"));
        for (var edition = 2; edition <= 4; edition++)
        {
            await node.RedeployAsync(guid, TestBundles.StaticSite($"edition {edition}"));
        }

        var content = await admin.GetFromJsonAsync<JsonElement>($"__api__/v1/content/{guid}");
        var id = content.GetProperty("id").GetInt64();
        var live = content.GetProperty("bundle_id").GetString();
        async Task<List<string>> BundlesAsync() => [.. (await admin.GetFromJsonAsync<JsonElement>($"__api__/v1/content/{guid}/bundles")).EnumerateArray()
            .Select(b => b.GetProperty("id").GetString()!)];
        var before = await BundlesAsync();
        Assert.Equal(4, before.Count);

        await Wait.UntilAsync(async () => (await BundlesAsync()).Count == 2, "old bundles to be pruned").ShowingOutputOf(node);

        var kept = await BundlesAsync();
        Assert.Contains(live, kept);
        Assert.Contains("edition 4", await node.Http.GetStringAsync($"content/{guid}/"));
        foreach (var gone in before.Except(kept))
        {
            Assert.False(File.Exists(Path.Combine(node.DataDir, "bundles", id.ToString(), $"{gone}.tar.gz")), $"bundle {gone}'s archive is still there");
            Assert.False(Directory.Exists(Path.Combine(node.DataDir, "apps", id.ToString(), gone)), $"bundle {gone}'s files are still there");
        }

        foreach (var stays in kept)
        {
            Assert.True(File.Exists(Path.Combine(node.DataDir, "bundles", id.ToString(), $"{stays}.tar.gz")), $"bundle {stays}'s archive is gone");
        }

        // The log lines trail the removals they report; a sweep may find the two old bundles settled at different times.
        int Removed() => System.Text.RegularExpressions.Regex.Matches(node.Output, @"Removed (\d+) old bundles").Sum(m => int.Parse(m.Groups[1].Value));
        await Wait.UntilAsync(() => Removed() == 2, "the two removals to be logged").ShowingOutputOf(node);
    }

    [Fact]
    public async Task Worker_logs_past_the_history_retention_go_and_recent_ones_and_render_logs_stay()
    {
        await using var node = NodeProcess.Start(_folder, "node", "[Applications]\nBundleReapFrequency = 2s\nHistoryRetention = 1h\n");
        await node.WaitUntilServingAsync();
        var guid = await node.DeployAsync("site", TestBundles.StaticSite("with logs"));
        var logs = Directory.CreateDirectory(Path.Combine(node.DataDir, "logs", guid)).FullName;
        var old = Path.Combine(logs, "node-20250101T000000-aaaaaa.log");
        var recent = Path.Combine(logs, "node-20261206T000000-bbbbbb.log");
        var render = Path.Combine(logs, "job-7-1.log");
        foreach (var file in new[] { old, recent, render })
        {
            await File.WriteAllTextAsync(file, "a line\n");
        }

        File.SetLastWriteTimeUtc(old, DateTime.UtcNow.AddHours(-2));
        File.SetLastWriteTimeUtc(render, DateTime.UtcNow.AddHours(-2));

        await Wait.UntilAsync(() => !File.Exists(old), "the old worker log to be removed").ShowingOutputOf(node);
        Assert.True(File.Exists(recent), "a recent worker log was removed");
        Assert.True(File.Exists(render), "a render's log goes with its job, not by its age");
        await Wait.UntilAsync(() => node.Output.Contains("Removed 1 worker logs"), "the removal to be logged").ShowingOutputOf(node);
    }
}
