using Microsoft.Playwright;

namespace Connect.E2E.Infrastructure;

/// <summary>
/// Debian's Chromium driven by Playwright, one browser per test class. Never downloads a browser.
/// The flags keep Chromium from reaching for Google services this machine cannot reach.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing; scripts/install-deps.sh installs Debian's chromium package");
        }

        // An expectation waits up to 30 s, as an action does, not Playwright's 5 s: on a 2-core CI machine that runs
        // other test assemblies beside the browser, a console's circuit has taken longer than 5 s to start. A
        // passing expectation returns as soon as it holds, so only a failure takes longer.
        Assertions.SetDefaultExpectTimeout(30_000);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
            ],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}
