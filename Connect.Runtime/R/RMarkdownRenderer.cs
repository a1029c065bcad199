using CliWrap;
using CliWrap.EventStream;

namespace Connect.Runtime.R;

/// <summary>Renders an R Markdown document with <c>rmarkdown::render</c> in a child R process.</summary>
internal sealed class RMarkdownRenderer(RInstallation r)
{
    /// <summary>
    /// Renders <paramref name="document"/> (relative to <paramref name="bundleDirectory"/>) into
    /// <paramref name="outputDirectory"/>, passing every line R prints to <paramref name="log"/>.
    /// Intermediate files go to a temporary folder, so the shared bundle folder is never written.
    /// </summary>
    public async Task<int> RenderAsync(string bundleDirectory, string document, string outputDirectory, Func<string, Task> log, CancellationToken cancellationToken)
    {
        var rscript = r.Rscript ?? throw new InvalidOperationException($"R is not installed ({r.Describe()})");
        var intermediates = Directory.CreateTempSubdirectory("connect-render-");
        Directory.CreateDirectory(outputDirectory);
        try
        {
            const string script = """
                args <- commandArgs(trailingOnly = TRUE)
                rmarkdown::render(args[[1]], output_dir = args[[2]], intermediates_dir = args[[3]],
                                  knit_root_dir = getwd(), envir = new.env(), quiet = FALSE)
                """;
            var command = Cli.Wrap(rscript)
                .WithArguments(["--vanilla", "-e", script, document, outputDirectory, intermediates.FullName])
                .WithWorkingDirectory(bundleDirectory)
                .WithValidation(CommandResultValidation.None);

            var exitCode = -1;
            await foreach (var e in command.ListenAsync(cancellationToken))
            {
                switch (e)
                {
                    case StandardOutputCommandEvent output:
                        await log(output.Text);
                        break;
                    case StandardErrorCommandEvent error:
                        await log(error.Text);
                        break;
                    case ExitedCommandEvent exited:
                        exitCode = exited.ExitCode;
                        break;
                }
            }

            return exitCode;
        }
        finally
        {
            intermediates.Delete(recursive: true);
        }
    }
}
