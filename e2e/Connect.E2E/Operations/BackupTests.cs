using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Connect.Shared.Configuration;
using Connect.Testing;
using Dapper;

namespace Connect.E2E.Operations;

/// <summary><c>connect backup</c> and <c>connect restore</c> against real nodes, on both databases.</summary>
public sealed class BackupTests : IDisposable
{
    private readonly TempDirectory _folder = new("connect-backup");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_backup_stalled_past_its_pause_fails_naming_the_lapse_and_writes_no_manifest()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        await using var node = NodeProcess.Start(_folder, "node", database.ConfigLines);
        await node.WaitUntilServingAsync();
        var doomed = await node.DeployAsync("doomed", TestBundles.StaticSite("<p>deleted during the stall</p>"));
        await node.DeployAsync("kept", TestBundles.StaticSite("<p>kept</p>"));
        using var admin = node.ClientWithKey(node.AdminKey, timeout: TimeSpan.FromMinutes(2));
        var output = _folder.File("stalled-backup");

        await using var backup = new DotnetProcess(RepositoryPaths.ConnectDll, ["backup", "--out", output, "--config", node.ConfigPath], _folder.Path);
        await backup.WaitForOutputAsync("paused deploys");
        // A hard NFS stall, or an operator's ^Z: the backup process stops for longer than its pause lives.
        backup.Freeze();
        try
        {
            // The delete waits for the pause, then (the pause lapsed) goes ahead.
            var deleted = await admin.DeleteAsync($"__api__/v1/content/{doomed}");
            Assert.True(deleted.IsSuccessStatusCode, await deleted.Content.ReadAsStringAsync());
        }
        finally
        {
            backup.Thaw();
        }

        Assert.NotEqual(0, await backup.WaitForExitAsync(TimeSpan.FromMinutes(2)));
        Assert.Contains("the maintenance pause lapsed", backup.Output);
        Assert.Contains("Run it again", backup.Output);
        Assert.DoesNotContain("backup complete", backup.Output);
        Assert.False(File.Exists(Path.Combine(output, "manifest.json")), "a stalled backup wrote a manifest: restore would accept it");
        // The server itself is unharmed: the next backup works.
        var (code, again) = await node.RunCommandAsync("backup", "--out", _folder.File("next-backup"));
        Assert.True(code == 0, again);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task A_backup_taken_while_serving_restores_into_an_empty_server_and_a_damaged_one_is_refused(DatabaseProvider provider)
    {
        var origin = new TempDirectory("connect-backup-origin");
        var restored = new TempDirectory("connect-backup-restored");
        var elsewhere = new TempDirectory("connect-backup-elsewhere");
        await using var originDatabase = await TestDatabase.CreateAsync(provider);
        await using var restoredDatabase = await TestDatabase.CreateAsync(provider);
        await using var elsewhereDatabase = await TestDatabase.CreateAsync(provider);
        try
        {
            await using var node = NodeProcess.Start(origin, "node-a", originDatabase.ConfigLines);
            await node.WaitUntilServingAsync();
            var site = await node.DeployAsync("site", TestBundles.StaticSite("<p>kept in the backup</p>"));
            await node.RedeployAsync(site, TestBundles.StaticSite("<p>the second edition is live</p>"));
            await node.DeployAsync("api", TestBundles.PlumberApi("#* @get /hello\nfunction() \"hello from a restored API\"\n"));
            Assert.Equal(0, (await node.RunCommandAsync("users", "add", "vic", "--role", "viewer")).ExitCode);
            var vicKey = await node.CreateKeyAsync("vic");
            using var admin = node.ClientWithKey(node.AdminKey);
            var before = await admin.ContentByNameAsync();

            var backup = _folder.File("backup");
            var (code, output) = await node.RunCommandAsync("backup", "--out", backup);
            Assert.True(code == 0, output);
            Assert.Contains("backup complete", output);
            Assert.Contains("pause ended", output);
            // Served throughout, and deploys work again once the pause has ended.
            Assert.Contains("second edition", await node.Http.GetStringAsync($"content/{site}/"));
            await node.RedeployAsync(site, TestBundles.StaticSite("<p>after the backup</p>"));

            // One flipped byte in one bundle file: refused, naming it, and nothing is written.
            var damaged = _folder.File("damaged");
            FolderCopy.Copy(backup, damaged);
            var victim = Directory.EnumerateFiles(Path.Combine(damaged, "files", "apps"), "index.html", SearchOption.AllDirectories).First();
            var bytes = await File.ReadAllBytesAsync(victim);
            bytes[0] ^= 0x01;
            await File.WriteAllBytesAsync(victim, bytes);
            var elsewhereConfig = NodeProcess.WriteConfig(elsewhere, "node-c", elsewhereDatabase.ConfigLines);
            var (damagedCode, damagedOutput) = await NodeProcess.RunCommandAsync(elsewhereConfig, null, "restore", "--from", damaged);
            Assert.Equal(1, damagedCode);
            Assert.Contains(Path.GetRelativePath(Path.Combine(damaged, "files"), victim), damagedOutput);
            Assert.Contains("nothing was changed", damagedOutput);
            Assert.False(Directory.Exists(elsewhere.File("data")) && Directory.EnumerateFileSystemEntries(elsewhere.File("data")).Any(e => !e.EndsWith("/db", StringComparison.Ordinal)));
            await using (var connection = await elsewhereDatabase.Database.OpenAsync())
            {
                Assert.Equal(0, await new Connect.Shared.Data.SchemaState(elsewhereDatabase.Database).ReadDatabaseVersionAsync());
            }

            // Restored into an empty database and data directory: the server starts with everything of the backup.
            var restoredConfig = NodeProcess.WriteConfig(restored, "node-b", restoredDatabase.ConfigLines);
            var (restoreCode, restoreOutput) = await NodeProcess.RunCommandAsync(restoredConfig, null, "restore", "--from", backup);
            Assert.True(restoreCode == 0, restoreOutput);
            // The backup holds no secret key: without the original file the node says which it needs, and starts once it is there.
            var (keylessCode, keyless) = await NodeProcess.RunCommandAsync(restoredConfig, null, "run");
            Assert.Equal(1, keylessCode);
            Assert.Contains("Server.SecretKeyFile", keyless);
            File.Delete(restored.File("connect.key")); // the one the keyless start made
            File.Copy(origin.File("connect.key"), restored.File("connect.key"));
            await using var back = NodeProcess.Start(restored, "node-b", restoredDatabase.ConfigLines);
            await back.WaitUntilServingAsync();
            using var backAdmin = back.ClientWithKey(node.AdminKey);
            Assert.Equal(before, await backAdmin.ContentByNameAsync());
            Assert.Contains("the second edition is live", await back.Http.GetStringAsync($"content/{site}/"));
            Assert.Contains("hello from a restored API", await back.Http.GetStringAsync($"content/{before["api"]}/hello"));
            using (var vic = back.ClientWithKey(vicKey))
            {
                Assert.Equal(HttpStatusCode.OK, (await vic.GetAsync("__api__/v1/content")).StatusCode);
            }

            // Every bundle row has its files, and every bundle folder its row.
            await using (var connection = await restoredDatabase.Database.OpenAsync())
            {
                var rows = (await connection.QueryAsync<string>("SELECT path FROM bundles")).Select(p => p.TrimEnd('/')).ToHashSet();
                var onDisk = Directory.EnumerateDirectories(Path.Combine(back.DataDir, "apps")).SelectMany(Directory.EnumerateDirectories)
                    .Select(d => Path.GetRelativePath(back.DataDir, d)).ToHashSet();
                Assert.Equal(rows.OrderBy(r => r), onDisk.OrderBy(d => d));
            }

            // A restore into a server that is running is refused, naming the node.
            var (againCode, again) = await NodeProcess.RunCommandAsync(restoredConfig, null, "restore", "--from", backup);
            Assert.Equal(1, againCode);
            Assert.Contains("node-b", again);
        }
        finally
        {
            origin.Dispose();
            restored.Dispose();
            elsewhere.Dispose();
        }
    }

    [Fact]
    public async Task A_backup_under_load_on_two_nodes_costs_viewers_nothing_and_restores_without_orphans()
    {
        var restored = new TempDirectory("connect-backup-load-restored");
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        await using var restoredDatabase = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        try
        {
            await using var a = NodeProcess.Start(_folder, "node-a", database.ConfigLines);
            await a.WaitUntilServingAsync();
            await using var b = NodeProcess.Start(_folder, "node-b", database.ConfigLines);
            await b.WaitUntilServingAsync();
            var site = await a.DeployAsync("site", TestBundles.StaticSite("<p>edition 0</p>"));
            var report = await a.DeployAsync("report", TestBundles.Create(
                ("manifest.json", TestBundles.Manifest("rmd-static", primaryRmd: "doc.Rmd")),
                ("doc.Rmd", "---\ntitle: \"Under load\"\noutput: html_document\n---\n\nRendered at `r Sys.time()`.\n")));
            // A deploy or render asked for during the backup waits for its pause: longer than a test's usual API call on a
            // slow machine, never longer than the gate's five minutes.
            var gated = TimeSpan.FromMinutes(6);
            using var adminB = b.ClientWithKey(a.AdminKey, timeout: gated);

            // Viewers on both nodes, a publisher redeploying through node A, renders through node B: all the time.
            using var load = new CancellationTokenSource();
            var viewerErrors = new System.Collections.Concurrent.ConcurrentQueue<string>();
            var viewed = 0;
            var deploys = 0;
            var renders = 0;
            async Task ViewAsync(NodeProcess node)
            {
                while (!load.IsCancellationRequested)
                {
                    foreach (var path in new[] { $"content/{site}/", $"content/{report}/" })
                    {
                        using var response = await node.Http.GetAsync(path, CancellationToken.None);
                        if (response.StatusCode != HttpStatusCode.OK)
                        {
                            viewerErrors.Enqueue($"{(int)response.StatusCode} from {node.Port} for {path}");
                        }

                        Interlocked.Increment(ref viewed);
                    }
                }
            }

            async Task DeployAsync()
            {
                for (var edition = 1; !load.IsCancellationRequested; edition++)
                {
                    await a.RedeployAsync(site, TestBundles.StaticSite($"<p>edition {edition}</p>"), gated);
                    Interlocked.Increment(ref deploys);
                }
            }

            async Task RenderAsync()
            {
                while (!load.IsCancellationRequested)
                {
                    var started = await adminB.PostAsync($"__api__/v1/content/{report}/render", null, CancellationToken.None);
                    Assert.True(started.IsSuccessStatusCode, await started.Content.ReadAsStringAsync());
                    var task = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("task_id").GetString();
                    await Wait.UntilAsync(async () => (await adminB.GetFromJsonAsync<JsonElement>($"__api__/v1/tasks/{task}")).GetProperty("finished").GetBoolean(),
                        $"render {task}", TimeSpan.FromMinutes(2));
                    Interlocked.Increment(ref renders);
                }
            }

            var workers = new[] { ViewAsync(a), ViewAsync(b), DeployAsync(), RenderAsync() };

            // The load runs until it is cancelled, so a part of it that ends before is a failure: it is shown at once,
            // not as a wait for progress that cannot come.
            async Task UntilProgressAsync(Func<bool> progress, string what)
            {
                var waiting = Wait.UntilAsync(progress, what, TimeSpan.FromMinutes(2)).ShowingOutputOf(a, b);
                if (await Task.WhenAny(waiting, Task.WhenAny(workers)) != waiting)
                {
                    await await Task.WhenAny(workers);
                    throw new InvalidOperationException($"a part of the load ended before {what}");
                }

                await waiting;
            }

            await UntilProgressAsync(() => Volatile.Read(ref deploys) >= 2 && Volatile.Read(ref renders) >= 1, "the load to get going");

            var backup = _folder.File("backup-under-load");
            var (code, output) = await a.RunCommandAsync("backup", "--out", backup);
            Assert.True(code == 0, output);
            var deploysAtBackup = Volatile.Read(ref deploys);
            var rendersAtBackup = Volatile.Read(ref renders);
            // Deploys and renders carry on after the pause.
            await UntilProgressAsync(() => Volatile.Read(ref deploys) > deploysAtBackup && Volatile.Read(ref renders) > rendersAtBackup,
                "deploys and renders after the backup");
            await load.CancelAsync();
            await Task.WhenAll(workers);

            Assert.Empty(viewerErrors);
            Assert.True(viewed > 0);

            var config = NodeProcess.WriteConfig(restored, "node-r", restoredDatabase.ConfigLines);
            var (restoreCode, restoreOutput) = await NodeProcess.RunCommandAsync(config, null, "restore", "--from", backup);
            Assert.True(restoreCode == 0, restoreOutput);
            File.Copy(_folder.File("connect.key"), restored.File("connect.key")); // the secret key file travels apart from backups
            await using var back = NodeProcess.Start(restored, "node-r", restoredDatabase.ConfigLines);
            await back.WaitUntilServingAsync();
            Assert.Contains("edition", await back.Http.GetStringAsync($"content/{site}/"));
            Assert.Contains("Rendered at", await back.Http.GetStringAsync($"content/{report}/"));
            await using var connection = await restoredDatabase.Database.OpenAsync();
            var rows = (await connection.QueryAsync<string>("SELECT path FROM bundles")).ToHashSet();
            var onDisk = Directory.EnumerateDirectories(Path.Combine(back.DataDir, "apps")).SelectMany(Directory.EnumerateDirectories)
                .Select(d => Path.GetRelativePath(back.DataDir, d)).ToHashSet();
            Assert.Equal(rows.OrderBy(r => r), onDisk.OrderBy(d => d));
            var outputs = (await connection.QueryAsync<string>("SELECT output_path FROM content WHERE output_path IS NOT NULL")).ToList();
            Assert.All(outputs, o => Assert.True(Directory.Exists(Path.Combine(back.DataDir, o)), $"{o} is missing"));
        }
        finally
        {
            restored.Dispose();
        }
    }

    [Fact]
    public async Task An_incremental_backup_copies_only_new_bundles_and_restores_with_the_earlier_one()
    {
        using var restored = new TempDirectory("connect-backup-incremental");
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        await using var restoredDatabase = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        await using var node = NodeProcess.Start(_folder, "node-a", database.ConfigLines);
        await node.WaitUntilServingAsync();
        var first = await node.DeployAsync("first", TestBundles.StaticSite("<p>in the full backup</p>"));
        var full = _folder.File("full");
        Assert.Equal(0, (await node.RunCommandAsync("backup", "--out", full)).ExitCode);
        var second = await node.DeployAsync("second", TestBundles.StaticSite("<p>only in the incremental one</p>"));

        var incremental = _folder.File("incremental");
        var (code, output) = await node.RunCommandAsync("backup", "--out", incremental, "--since", full);

        Assert.True(code == 0, output);
        Assert.Contains("unchanged bundle files left in the earlier backup", output);
        var copied = Directory.EnumerateFiles(Path.Combine(incremental, "files", "apps"), "index.html", SearchOption.AllDirectories)
            .Select(File.ReadAllText).ToList();
        Assert.Contains("only in the incremental one", Assert.Single(copied));

        var config = NodeProcess.WriteConfig(restored, "node-b", restoredDatabase.ConfigLines);
        // Without the earlier backup it cannot be restored, and says which file it lacks and where it was.
        Directory.Move(full, full + "-moved");
        var (missingCode, missing) = await NodeProcess.RunCommandAsync(config, null, "restore", "--from", incremental);
        Assert.Equal(1, missingCode);
        Assert.Contains($"missing from the earlier backup {full}", missing);
        Directory.Move(full + "-moved", full);

        var (restoreCode, restoreOutput) = await NodeProcess.RunCommandAsync(config, null, "restore", "--from", incremental);
        Assert.True(restoreCode == 0, restoreOutput);
        File.Copy(_folder.File("connect.key"), restored.File("connect.key")); // the secret key file travels apart from backups
        await using var back = NodeProcess.Start(restored, "node-b", restoredDatabase.ConfigLines);
        await back.WaitUntilServingAsync();
        Assert.Contains("in the full backup", await back.Http.GetStringAsync($"content/{first}/"));
        Assert.Contains("only in the incremental one", await back.Http.GetStringAsync($"content/{second}/"));
    }

}
