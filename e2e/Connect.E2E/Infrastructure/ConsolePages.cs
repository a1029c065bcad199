using Microsoft.Playwright;

namespace Connect.E2E.Infrastructure;

/// <summary>The admin console as a browser sees it.</summary>
public static class ConsolePages
{
    /// <summary>
    /// Opens a console page and waits until it answers clicks. A page comes first as plain HTML and is re-drawn once
    /// its circuit is up, replacing every element: a click before that lands on an element about to go.
    /// </summary>
    public static async Task OpenAsync(this IPage page, Uri url)
    {
        await page.GotoAsync(url.ToString());
        await page.WaitForInteractiveAsync();
    }

    /// <summary>Waits until the console page shown answers clicks (its layout says so once its circuit is up).</summary>
    public static Task WaitForInteractiveAsync(this IPage page) =>
        Assertions.Expect(page.Locator("[data-interactive=yes]")).ToBeAttachedAsync();
}
