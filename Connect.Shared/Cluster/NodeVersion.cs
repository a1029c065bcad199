using System.Reflection;

namespace Connect.Shared.Cluster;

public static class NodeVersion
{
    /// <summary>
    /// This build's version with the commit it was built from (<c>0.1.0+1a2b3c4d5e6f</c>, which the SDK records from git),
    /// so two builds a schema apart never both say "0.1.0" and a half-done upgrade shows as mixed versions.
    /// </summary>
    public static string Current { get; } = Short(
        typeof(NodeVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0");

    private static string Short(string version) =>
        version.Split('+', 2) is [var number, var commit] && commit.Length > 12 ? $"{number}+{commit[..12]}" : version;

    /// <summary>
    /// The version of the modelled product whose server API this server implements, reported as
    /// <c>server_settings.version</c>: clients (connectapi, rsconnect, the Python SDK) decide from it which calls to try,
    /// so it opens their gates for what is built here and no further (connectapi asks 1.8.6 for most calls and 2024.12.0
    /// for OAuth integrations, which are not built). Move it forward when an API step of the product lands here.
    /// </summary>
    public const string ProductApi = "2024.08.0";
}
