using System.Net;

namespace Connect.Shared.Web;

/// <summary>
/// The look of the pages the node and the dashboard write by hand (sign-in, sign-out, errors, the landing page), the
/// same as the dashboard's: one centred card on a quiet background. Inline, so a page needs nothing else to load
/// (the content's origin serves no assets of its own).
/// </summary>
public static class PageStyle
{
    private const string Css = """
        :root { color-scheme: light; font-family: Roboto, "Helvetica Neue", Arial, sans-serif; color: #1f2937; background: #f3f4f6; }
        body { margin: 0; }
        header { background: #594ae2; color: #fff; padding: 0.6rem 1.2rem; font-size: 1.15rem; font-weight: 500; }
        header a { color: #fff; text-decoration: none; }
        main { max-width: 46rem; margin: 2rem auto; padding: 0 1rem; }
        .card { background: #fff; border-radius: 6px; box-shadow: 0 1px 3px rgba(0,0,0,.12); padding: 1.4rem 1.6rem; margin-bottom: 1rem; }
        h1 { font-size: 1.5rem; font-weight: 500; margin: 0 0 .8rem; }
        h2 { font-size: 1.15rem; font-weight: 500; margin: 1.2rem 0 .6rem; }
        p { line-height: 1.5; }
        a { color: #594ae2; }
        label { display: block; font-size: .9rem; color: #4b5563; }
        input { display: block; width: 100%; box-sizing: border-box; padding: .55rem .6rem; margin-top: .25rem; border: 1px solid #d1d5db; border-radius: 4px; font-size: 1rem; }
        button { background: #594ae2; color: #fff; border: 0; border-radius: 4px; padding: .55rem 1.1rem; font-size: .95rem; cursor: pointer; }
        button:hover { background: #4a3dc9; }
        pre { background: #111827; color: #e5e7eb; padding: .8rem; border-radius: 4px; overflow: auto; max-height: 24rem; font-size: .8rem; }
        .muted { color: #6b7280; font-size: .9rem; }
        .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(15rem, 1fr)); gap: 1rem; }
        .cards .card { margin: 0; }
        .cards h3 { margin: 0 0 .3rem; font-size: 1.05rem; font-weight: 500; }
        """;

    /// <summary>A whole page: the header bar with the product's name, and <paramref name="body"/> (already HTML) in a card.</summary>
    public static string Document(string title, string body, bool inCard = true) =>
        $"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{WebUtility.HtmlEncode(title)}</title><style>{Css}</style></head><body><header><a href="/">Connect</a></header><main>{(inCard ? $"<div class=\"card\">{body}</div>" : body)}</main></body></html>""";
}
