using System.Net;
using System.Net.Sockets;
using Connect.Shared.Configuration;

namespace Connect.Runtime.Packages;

/// <summary>A repository a package may be downloaded from.</summary>
/// <param name="Configured">An administrator's <c>[RPackageRepository]</c>, rather than a URL a manifest named.</param>
internal sealed record PackageRepository(string Url, bool Configured);

/// <summary>
/// Finds and downloads source packages from CRAN-like repositories: <c>{URL}/src/contrib/{name}_{version}.tar.gz</c>,
/// else <c>{URL}/src/contrib/Archive/{name}/…</c>. The node downloads (never R), so a repository an administrator
/// configured on the host itself works; a URL that only a manifest names is fetched as content's own network would
/// reach it: never the host's loopback, its own addresses or link-local ones (a cloud's metadata service).
/// </summary>
internal sealed class PackageRepositories : IDisposable
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(30);

    private readonly ConnectOptions _options;
    private readonly HttpClient _configured;
    private readonly HttpClient _named;

    public PackageRepositories(ConnectOptions options)
    {
        _options = options;
        // A repository that cannot be reached fails its package within ConnectTimeout; one that answers slowly is bounded by
        // R.PackageInstallTimeout (the caller's token).
        _configured = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2), ConnectTimeout = ConnectTimeout })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _named = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2), ConnectTimeout = ConnectTimeout, ConnectCallback = ConnectAwayFromHostAsync })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>
    /// Where to look for <paramref name="package"/>, in order: the configured repository of its source name; in lax
    /// mode the URL its manifest names; then every other configured repository.
    /// </summary>
    public IReadOnlyList<PackageRepository> For(ManifestPackage package)
    {
        var found = new List<PackageRepository>();
        if (_options.RPackageRepository.TryGetValue(package.Source, out var named) && named.URL is { } url)
        {
            found.Add(new PackageRepository(url, Configured: true));
        }

        if (_options.R.PackageRepositoryResolution == PackageRepositoryResolution.Lax
            && Uri.TryCreate(package.Repository, UriKind.Absolute, out var manifestUrl) && manifestUrl.Scheme is "http" or "https")
        {
            found.Add(new PackageRepository(package.Repository!, Configured: false));
        }

        found.AddRange(_options.RPackageRepository.Values.Where(r => r.URL is not null).Select(r => new PackageRepository(r.URL!, Configured: true)));
        return found.DistinctBy(r => r.Url.TrimEnd('/')).ToList();
    }

    /// <summary>
    /// Downloads the source of <paramref name="package"/> from <paramref name="repository"/> into <paramref name="file"/>;
    /// null when it did, else why not ("404 Not Found", "timed out", …).
    /// </summary>
    public async Task<string?> DownloadAsync(ManifestPackage package, PackageRepository repository, string file, CancellationToken cancellationToken)
    {
        var client = repository.Configured ? _configured : _named;
        var tarball = $"{package.Name}_{package.Version}.tar.gz";
        var problems = new List<string>();
        foreach (var path in new[] { $"src/contrib/{tarball}", $"src/contrib/Archive/{package.Name}/{tarball}" })
        {
            var url = repository.Url.TrimEnd('/') + "/" + path;
            try
            {
                using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                if (!response.IsSuccessStatusCode)
                {
                    problems.Add($"{path}: {(int)response.StatusCode} {response.ReasonPhrase}");
                    continue;
                }

                if (response.Content.Headers.ContentLength > _options.Applications.MaxBundleSize.Bytes)
                {
                    return $"{url} is larger than Applications.MaxBundleSize ({_options.Applications.MaxBundleSize})";
                }

                await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
                await using var target = new FileStream(file, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true);
                var buffer = new byte[81920];
                long total = 0;
                for (int read; (read = await body.ReadAsync(buffer, cancellationToken)) > 0;)
                {
                    total += read;
                    if (total > _options.Applications.MaxBundleSize.Bytes)
                    {
                        return $"{url} is larger than Applications.MaxBundleSize ({_options.Applications.MaxBundleSize})";
                    }

                    await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }

                return null;
            }
            catch (HttpRequestException e)
            {
                return $"{url}: {(e.InnerException is HttpRequestException inner ? inner.Message : e.Message)}";
            }
            catch (IOException e) when (!cancellationToken.IsCancellationRequested)
            {
                return $"{url}: {e.Message}"; // a full disk here fails the one package, named
            }
        }

        return string.Join("; ", problems);
    }

    /// <summary>Connects only to addresses content could reach too: not the host's loopback, own or link-local addresses.</summary>
    private static async ValueTask<Stream> ConnectAwayFromHostAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var addresses = await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, cancellationToken);
        var host = Sandbox.ContentNetwork.HostAddresses().Select(IPAddress.Parse).ToHashSet();
        var allowed = addresses.Select(a => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a)
            .Where(a => !IPAddress.IsLoopback(a) && !a.IsIPv6LinkLocal && !IsIPv4LinkLocal(a) && !a.Equals(IPAddress.Any) && !a.Equals(IPAddress.IPv6Any) && !host.Contains(a))
            .ToList();
        if (allowed.Count == 0)
        {
            throw new HttpRequestException($"{context.DnsEndPoint.Host} is this server itself (or its loopback or link-local network), which a manifest's repository may not name; configure it as an [RPackageRepository] instead");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed.ToArray(), context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static bool IsIPv4LinkLocal(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetwork && address.GetAddressBytes() is [169, 254, ..];

    public void Dispose()
    {
        _configured.Dispose();
        _named.Dispose();
    }
}
