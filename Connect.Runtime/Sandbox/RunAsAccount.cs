using System.Runtime.InteropServices;
using CliWrap;
using CliWrap.Buffered;

namespace Connect.Runtime.Sandbox;

/// <summary>
/// The unprivileged system user R processes run as (<c>Applications.RunAs</c>), looked up once.
/// Only a node running as root can switch to it; any other node runs content as itself.
/// </summary>
internal sealed record RunAsAccount(string Name, int Uid, int Gid)
{
    public static bool NodeIsRoot => geteuid() == 0;

    /// <summary>The node process's own uid (content's, on a node that is not root).</summary>
    public static int NodeUid => (int)geteuid();

    /// <summary>The account, or the reason it cannot be used.</summary>
    public static (RunAsAccount? Account, string? Problem) Find(string name)
    {
        var uid = Id(name, "-u");
        var gid = Id(name, "-g");
        if (uid is null || gid is null)
        {
            return (null, $"the user '{name}' (Applications.RunAs) does not exist on this machine; scripts/install-deps.sh creates 'connect-content', or set Applications.RunAs to an existing unprivileged user");
        }

        return uid == 0
            ? (null, $"Applications.RunAs = {name} is root; content must run as an unprivileged user")
            : (new RunAsAccount(name, uid.Value, gid.Value), null);
    }

    /// <summary>Gives a folder to this account (so content can write it); a no-op unless the node is root.</summary>
    public void Own(string path)
    {
        if (NodeIsRoot && chown(path, Uid, Gid) != 0)
        {
            throw new IOException($"cannot give {path} to the user {Name}: {Marshal.GetLastPInvokeErrorMessage()}");
        }
    }

    private static int? Id(string name, string flag)
    {
        var result = Cli.Wrap("id").WithArguments([flag, "--", name]).WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync().GetAwaiter().GetResult();
        return result.ExitCode == 0 && int.TryParse(result.StandardOutput.Trim(), out var id) ? id : null;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern uint geteuid();

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi)]
    private static extern int chown(string path, int owner, int group);
}
