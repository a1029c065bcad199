using System.Net.Http.Json;
using System.Text.Json;
using Connect.E2E.Infrastructure;
using Connect.Shared.Files;
using Connect.Testing;

namespace Connect.E2E.Security;

/// <summary>
/// Content plants links to a root-only host file in its home and keeps swapping a folder there for a link, then the
/// administrator backs up and restores, and deletes the item: the backup holds none of the host file and none of it is
/// readable by other local users, the restored link hands nothing over, and the delete removes only the item's own.
/// </summary>
public sealed class HostFileTests : IDisposable
{
    private readonly TempDirectory _folder = new("connect-hostfile");

    public void Dispose() => _folder.Dispose();

    private const string PlanterApi = """
        #* @get /plant
        function(target) {
          home <- Sys.getenv("HOME")
          writeLines("mine", file.path(home, "own.txt"))
          file.symlink(target, file.path(home, "planted"))
          dir.create(file.path(home, "d"))
          writeLines("content's", file.path(home, "d", "secret.txt"))
          file.symlink(dirname(target), file.path(home, "l"))
          # Swaps d and l for as long as the worker lives, as a backup or a delete walks the home.
          system(sprintf("cd '%s' && while true; do mv -T d t && mv -T l d && mv -T d l && mv -T t d; done >/dev/null 2>&1 &", home))
          "planted"
        }

        #* @get /own
        function() {
          writeLines("mine again", file.path(Sys.getenv("HOME"), "own.txt"))
          "mine"
        }
        """;

    [Fact]
    public async Task Backup_restore_and_delete_never_reach_a_host_file_through_a_link_content_planted()
    {
        var hostFolder = Directory.CreateDirectory(_folder.File("root-only")).FullName;
        var hostFile = Path.Combine(hostFolder, "secret.txt"); // the same name as content's own file behind the swapped folder
        await File.WriteAllTextAsync(hostFile, "root secret");
        File.SetUnixFileMode(hostFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var restoredFolder = new TempDirectory("connect-hostfile-restored");
        try
        {
            await using var node = NodeProcess.Start(_folder, "node", "");
            await node.WaitUntilServingAsync();
            using var admin = node.ClientWithKey(node.AdminKey);
            var guid = await node.DeployAsync("planter", TestBundles.PlumberApi(PlanterApi));
            Assert.Equal("planted", (await admin.GetFromJsonAsync<JsonElement>($"content/{guid}/plant?target={Uri.EscapeDataString(hostFile)}"))[0].GetString());

            var backup = _folder.File("backup");
            var (code, output) = await node.RunCommandAsync("backup", "--out", backup);
            Assert.True(code == 0, output); // a home that changes as it is read never fails the backup
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(backup));
            foreach (var file in Directory.EnumerateFiles(backup, "*", SearchOption.AllDirectories))
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
                Assert.DoesNotContain("root secret", await File.ReadAllTextAsync(file));
            }

            foreach (var folder in Directory.EnumerateDirectories(backup, "*", SearchOption.AllDirectories))
            {
                Assert.Equal(UnixFileMode.None, File.GetUnixFileMode(folder) & (UnixFileMode)0x3F); // nothing for group or others
            }

            // Restored into an empty server: the link comes back as a link, and the host file stays root's.
            var restoredConfig = NodeProcess.WriteConfig(restoredFolder, "node-b", "", port: FreePort.Next());
            var (restoreCode, restoreOutput) = await NodeProcess.RunCommandAsync(restoredConfig, null, "restore", "--from", backup);
            Assert.True(restoreCode == 0, restoreOutput);
            var restoredLink = Path.Combine(restoredFolder.File("data"), "home", guid, "planted");
            Assert.Equal(hostFile, new FileInfo(restoredLink).LinkTarget);
            Assert.Equal(0, NoFollowTree.Describe(hostFile)!.Value.Uid);
            File.Copy(_folder.File("connect.key"), restoredFolder.File("connect.key")); // the secret key file travels apart from backups
            await using (var back = NodeProcess.Start(restoredFolder, "node-b", ""))
            {
                await back.WaitUntilServingAsync();
                using var backAdmin = back.ClientWithKey(node.AdminKey);
                Assert.Equal("mine", (await backAdmin.GetFromJsonAsync<JsonElement>($"content/{guid}/own"))[0].GetString());
                Assert.NotEqual(0, NoFollowTree.Describe(Path.Combine(back.DataDir, "home", guid, "own.txt"))!.Value.Uid); // the home is the item's again
                Assert.Equal(0, NoFollowTree.Describe(hostFile)!.Value.Uid);
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(hostFile));
            }

            // Deleted while its swapper runs: the item's files go, the host's stay.
            var deleted = await admin.DeleteAsync($"__api__/v1/content/{guid}");
            Assert.True(deleted.IsSuccessStatusCode, await deleted.Content.ReadAsStringAsync());
            Assert.False(Directory.Exists(Path.Combine(node.DataDir, "home", guid)));
            Assert.Empty(await node.WorkersOfAsync(guid));
            Assert.Equal("root secret", await File.ReadAllTextAsync(hostFile));
        }
        finally
        {
            restoredFolder.Dispose();
        }
    }
}
