using Connect.Shared.Packages;

namespace Connect.Runtime.Packages;

internal static class PackageServices
{
    /// <summary>R packages restored per bundle into the package cache all nodes share.</summary>
    public static IServiceCollection AddPackages(this IServiceCollection services)
    {
        services.AddSingleton<PackageRepositories>();
        services.AddSingleton<PackageInstaller>();
        services.AddSingleton<PackageRestore>();
        return services;
    }
}
