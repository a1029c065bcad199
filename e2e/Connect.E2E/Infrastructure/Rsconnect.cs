using Connect.Testing;
using static Connect.E2E.Infrastructure.RScript;

namespace Connect.E2E.Infrastructure;

/// <summary>The real rsconnect R package, registered against one node with an account's key (the admin's, unless said).</summary>
public sealed class Rsconnect(string serverUrl, string apiKey, string home, string account = "admin")
{
    private bool _registered;

    public static Rsconnect For(NodeProcess node, TempDirectory folder, string? serverUrl = null) =>
        new(serverUrl ?? node.BaseUrl.ToString().TrimEnd('/') + "/__api__", node.AdminKey, folder.File("r-home"));

    /// <summary>
    /// Runs <c>deployApp</c>, after the R code <paramref name="setup"/> (a publisher's own <c>.libPaths()</c> and
    /// <c>repos</c>); fails the test with rsconnect's output when it does not return TRUE.
    /// </summary>
    public async Task<string> DeployAsync(string directory, string appName, string? primaryDoc = null, string setup = "")
    {
        var register = _registered ? "" : $"""
            rsconnect::addServer({Quote(serverUrl)}, name = "local")
            rsconnect::connectApiUser(account = {Quote(account)}, server = "local", apiKey = {Quote(apiKey)})
            """;
        var doc = primaryDoc is null ? "" : $", appPrimaryDoc = {Quote(primaryDoc)}";
        var (exitCode, output) = await RunAsync($"""
            {setup}
            {register}
            stopifnot(isTRUE(rsconnect::deployApp({Quote(directory)}{doc}, appName = {Quote(appName)}, server = "local", account = {Quote(account)}, launch.browser = FALSE)))
            """, home);
        Assert.True(exitCode == 0, output);
        _registered = true;
        return output;
    }
}
