using System.Collections.Concurrent;
using CliWrap;
using CliWrap.Buffered;
using Connect.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Connect.E2E.Infrastructure;

/// <summary>A small R source package the test repository holds.</summary>
/// <param name="Imports">The <c>Imports</c> field, for one that needs another.</param>
/// <param name="C">C code in <c>src/</c>, compiled when it is installed.</param>
/// <param name="Configure">A <c>configure</c> script run before it is compiled.</param>
/// <param name="Archived">Whether it lies under <c>src/contrib/Archive/{name}/</c> (an older version) rather than current.</param>
public sealed record TestPackage(string Name, string Version, string RCode, string Namespace, string? Imports = null, string? C = null,
    string? Configure = null, bool Archived = false)
{
    public string Tarball => $"{Name}_{Version}.tar.gz";
}

/// <summary>
/// A CRAN-like package repository made by the test: small generated packages built with <c>R CMD build</c>, indexed by
/// <c>tools::write_PACKAGES</c> and served over HTTP on loopback. It counts what is downloaded and can hold a download.
/// </summary>
public sealed class TestPackageRepository : IAsyncDisposable
{
    /// <summary>While this file exists, installing <c>conntesthold</c> waits in its configure script (the sandbox sees /var/tmp).</summary>
    public const string HoldMarker = "/var/tmp/connect-e2e-hold-install";

    /// <summary><c>conntest</c> in two versions (1.0.0 archived), one with C code, one that imports it, one that does not compile, one that can be held.</summary>
    public static readonly TestPackage[] Packages =
    [
        new("conntest", "1.0.0", "conntest_version <- function() \"1.0.0\"\n", "export(conntest_version)\n", Archived: true),
        new("conntest", "2.0.0", "conntest_version <- function() \"2.0.0\"\n", "export(conntest_version)\n"),
        new("conntestc", "0.1.0", "twice <- function(x) .Call(\"twice_c\", as.integer(x), PACKAGE = \"conntestc\")\n", "useDynLib(conntestc)\nexport(twice)\n",
            C: "#include <R.h>\n#include <Rinternals.h>\nSEXP twice_c(SEXP x) { return ScalarInteger(2 * asInteger(x)); }\n"),
        new("conntestuser", "1.0.0", "greet <- function() paste(\"conntest\", conntest::conntest_version())\n", "import(conntest)\nexport(greet)\n", Imports: "conntest"),
        new("conntestbroken", "1.0.0", "broken <- function() 1\n", "useDynLib(conntestbroken)\nexport(broken)\n", C: "this is not C at all;\n"),
        new("conntesthold", "1.0.0", "held <- function() \"held\"\n", "export(held)\n",
            Configure: $"#!/bin/sh\nwhile [ -e {HoldMarker} ]; do sleep 0.2; done\nexit 0\n"),
    ];

    /// <summary>
    /// A hostile publisher's own <c>conntest 2.0.0</c>: loaded while another package is built against it, it writes into
    /// every library it can (the one being built included) and says it is "evil".
    /// </summary>
    public static readonly TestPackage[] Hostile =
    [
        new("conntest", "2.0.0", """
            conntest_version <- function() "evil"
            .onLoad <- function(libname, pkgname) for (lib in .libPaths()) if (file.access(lib, 2) == 0)
              for (p in list.dirs(lib, recursive = FALSE)) try(writeLines("pwned", file.path(p, "PWNED")), silent = TRUE)
            """, "export(conntest_version)\n"),
        new("conntestlink", "1.0.0", $$"""
            .onLoad <- function(libname, pkgname) file.symlink("{{LinkVictim}}", file.path(.libPaths()[1], ".connect-repository"))
            """, "export(.onLoad)\n"),
    ];

    /// <summary>A host file <c>conntestlink</c>'s build points a link at, where the node writes into the library it built.</summary>
    public const string LinkVictim = "/var/tmp/connect-e2e-link-victim";

    private static readonly SemaphoreSlim Building = new(1, 1);
    private static readonly Dictionary<TestPackage[], string> Built = new(ReferenceEqualityComparer.Instance);

    private readonly WebApplication _app;

    private TestPackageRepository(WebApplication app, string folder, int port)
    {
        _app = app;
        Folder = folder;
        Url = $"http://127.0.0.1:{port}";
    }

    /// <summary>The repository's URL (what <c>repos</c> and <c>[RPackageRepository]</c> name).</summary>
    public string Url { get; }

    /// <summary>The repository's files: <c>src/contrib/…</c>.</summary>
    public string Folder { get; }

    /// <summary>Every path requested, in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Run before a file is served; a test delays or fails downloads with it.</summary>
    public Func<string, Task>? BeforeServing { get; set; }

    /// <summary>Every file served (not those answered 404).</summary>
    public ConcurrentQueue<string> Served { get; } = new();

    /// <summary>How many times <paramref name="package"/>'s tarball was downloaded.</summary>
    public int Downloads(TestPackage package) => Served.Count(r => r.EndsWith("/" + package.Tarball, StringComparison.Ordinal));

    /// <summary>The package <paramref name="name"/> <paramref name="version"/> of <see cref="Packages"/>.</summary>
    public static TestPackage Package(string name, string version = "1.0.0") => Packages.Single(p => p.Name == name && p.Version == version);

    /// <summary>Builds <paramref name="packages"/> (by default <see cref="Packages"/>; once per test run) and serves them on a free loopback port.</summary>
    public static async Task<TestPackageRepository> StartAsync(TestPackage[]? packages = null)
    {
        var folder = await BuildOnceAsync(packages ?? Packages);
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var repository = new TestPackageRepository(app, folder, port);
        app.MapGet("/{**path}", async (string path, HttpContext context) =>
        {
            repository.Requests.Enqueue(path);
            if (repository.BeforeServing is { } hook)
            {
                await hook(path);
            }

            var file = Path.GetFullPath(Path.Combine(folder, path));
            if (!file.StartsWith(folder + "/", StringComparison.Ordinal) || !File.Exists(file))
            {
                return Results.NotFound();
            }

            repository.Served.Enqueue(path);
            return Results.File(file, "application/octet-stream");
        });
        await app.StartAsync();
        return repository;
    }

    /// <summary>Installs <paramref name="package"/> from its tarball into <paramref name="library"/> (a publisher's own library).</summary>
    public async Task InstallIntoAsync(TestPackage package, string library)
    {
        Directory.CreateDirectory(library);
        var result = await Cli.Wrap("R").WithArguments(["CMD", "INSTALL", "--no-docs", "--no-html", $"--library={library}", TarballPath(package)])
            .WithEnvironmentVariables(e => e.Set("R_LIBS", library))
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        Assert.True(result.ExitCode == 0, result.StandardOutput + result.StandardError);
    }

    public string TarballPath(TestPackage package) =>
        Path.Combine(Folder, "src", "contrib", package.Archived ? Path.Combine("Archive", package.Name, package.Tarball) : package.Tarball);

    private static async Task<string> BuildOnceAsync(TestPackage[] packages)
    {
        await Building.WaitAsync();
        try
        {
            if (!Built.TryGetValue(packages, out var folder))
            {
                Built[packages] = folder = await BuildAsync(packages);
            }

            return folder;
        }
        finally
        {
            Building.Release();
        }
    }

    private static async Task<string> BuildAsync(TestPackage[] packages)
    {
        var root = Path.Combine(Path.GetTempPath(), $"connect-cran-{Guid.NewGuid():N}");
        var contrib = Directory.CreateDirectory(Path.Combine(root, "src", "contrib")).FullName;
        var sources = Directory.CreateDirectory(Path.Combine(root, "sources")).FullName;
        foreach (var package in packages)
        {
            var source = Directory.CreateDirectory(Path.Combine(sources, $"{package.Name}-{package.Version}", package.Name)).FullName;
            await File.WriteAllTextAsync(Path.Combine(source, "DESCRIPTION"), $"""
                Package: {package.Name}
                Version: {package.Version}
                Title: A Test Package
                Description: Made by the end-to-end tests of Connect.
                License: MIT
                Author: Connect tests
                Maintainer: Connect tests <tests@example.com>
                Repository: CRAN
                {(package.Imports is null ? "" : $"Imports: {package.Imports}")}
                """.Trim() + "\n");
            await File.WriteAllTextAsync(Path.Combine(source, "NAMESPACE"), package.Namespace);
            Directory.CreateDirectory(Path.Combine(source, "R"));
            await File.WriteAllTextAsync(Path.Combine(source, "R", "code.R"), package.RCode);
            if (package.C is not null)
            {
                Directory.CreateDirectory(Path.Combine(source, "src"));
                await File.WriteAllTextAsync(Path.Combine(source, "src", "code.c"), package.C);
            }

            if (package.Configure is not null)
            {
                var configure = Path.Combine(source, "configure");
                await File.WriteAllTextAsync(configure, package.Configure);
                File.SetUnixFileMode(configure, (UnixFileMode)0b111_101_101);
            }

            var target = package.Archived ? Directory.CreateDirectory(Path.Combine(contrib, "Archive", package.Name)).FullName : contrib;
            var built = await Cli.Wrap("R").WithArguments(["CMD", "build", "--no-build-vignettes", "--no-manual", source])
                .WithWorkingDirectory(target).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
            Assert.True(built.ExitCode == 0, built.StandardOutput + built.StandardError);
        }

        var indexed = await Cli.Wrap("Rscript").WithArguments(["-e", "tools::write_PACKAGES('.', type = 'source')"])
            .WithWorkingDirectory(contrib).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        Assert.True(indexed.ExitCode == 0, indexed.StandardError);
        return root;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
