namespace Connect.Runtime.Proxy;

internal static class ProxyServices
{
    /// <summary>YARP's forwarder and what the proxy keeps per viewer: open WebSockets, connections per client.</summary>
    public static IServiceCollection AddContentProxy(this IServiceCollection services)
    {
        services.AddHttpForwarder();
        services.AddSingleton<OpenWebSockets>();
        services.AddSingleton<ClientConnections>();
        services.AddSingleton<ContentProxy>();
        return services;
    }
}
