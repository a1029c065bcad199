using System.Reflection;

namespace Connect.Runtime.Hosting;

internal static class NodeVersion
{
    public static string Current { get; } =
        typeof(NodeVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? "0.0.0";

    /// <summary>
    /// The version of the modelled product whose server API this server implements, reported as
    /// <c>server_settings.version</c>: clients (connectapi, rsconnect, the Python SDK) decide from it which calls to try,
    /// so it opens their gates for what is built here and no further (connectapi asks 1.8.6 for most calls and 2024.12.0
    /// for OAuth integrations, which are not built). Move it forward when an API step of the product lands here.
    /// </summary>
    public const string ProductApi = "2024.08.0";
}
