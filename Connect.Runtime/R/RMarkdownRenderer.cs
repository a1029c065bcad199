using Connect.Runtime.Sandbox;
using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Data;
using Connect.Shared.Files;

namespace Connect.Runtime.R;

/// <summary>Renders an R Markdown document with <c>rmarkdown::render</c> in a sandboxed R process.</summary>
internal sealed class RMarkdownRenderer(RInstallation r, ContentSandbox sandbox, ContentEnvironment environment, ConnectOptions options)
{
    /// <summary>How long a render waits for the database to read its item's variables (a deploy fails after that).</summary>
    private static readonly TimeSpan VariablesPatience = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Renders the bundle's primary document into <paramref name="outputDirectory"/>, passing every line
    /// R prints to <paramref name="log"/>. The bundle folder is read-only to R; intermediate files go to
    /// the sandbox's private <c>/tmp</c>, which disappears with the process.
    /// </summary>
    /// <param name="library">The bundle's package cache entries, put ahead of the system library (see <c>Packages.PackageRestore</c>).</param>
    public async Task<int> RenderAsync(ContentItem content, Bundle bundle, IReadOnlyList<string> library, string outputDirectory, Func<string, Task> log,
        CancellationToken cancellationToken)
    {
        var rscript = r.Rscript ?? throw new InvalidOperationException($"R is not installed ({r.Describe()})");
        const string script = """
            args <- commandArgs(trailingOnly = TRUE)
            dir.create(args[[3]], recursive = TRUE, showWarnings = FALSE)
            rmarkdown::render(args[[1]], output_dir = args[[2]], intermediates_dir = args[[3]],
                              knit_root_dir = getwd(), envir = new.env(), quiet = FALSE)
            """;
        var bundleDirectory = Path.Combine(options.DataDir, bundle.Path);
        var home = DataLayout.ContentHome(options.DataDir, content.Guid);
        await using var sandboxed = await sandbox.PrepareAsync(rscript, ["--vanilla", "-e", script, bundle.PrimaryFile!, outputDirectory, "/tmp/render"],
            new SandboxView(bundleDirectory, [bundleDirectory], [outputDirectory, home], home, Library: library),
            sandbox.UserFor(content), content.Guid, await DatabaseWait.ForAsync(t => environment.ValuesAsync(content.Id, t), VariablesPatience, cancellationToken), cancellationToken,
            memoryLimit: content.Overrides.MemoryLimit);
        return await sandboxed.RunAsync(log, cancellationToken);
    }
}
