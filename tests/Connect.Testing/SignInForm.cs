using System.Net;
using System.Text.RegularExpressions;

namespace Connect.Testing;

/// <summary>
/// Posts a sign-in or sign-out form as a browser does: first the page that holds the form (which sets the antiforgery
/// cookie and gives its token), then the form with that token. The client must keep cookies.
/// </summary>
public static partial class SignInForm
{
    public static async Task<HttpResponseMessage> PostAsync(HttpClient browser, string path, IReadOnlyDictionary<string, string>? fields = null)
    {
        var page = await browser.GetStringAsync(path);
        var token = TokenField().Match(page);
        if (!token.Success)
        {
            throw new InvalidOperationException($"{path} holds no form token:\n{page}");
        }

        var form = new Dictionary<string, string>(fields ?? new Dictionary<string, string>()) { [token.Groups[1].Value] = WebUtility.HtmlDecode(token.Groups[2].Value) };
        return await browser.PostAsync(path, new FormUrlEncodedContent(form));
    }

    /// <summary>Signs in with a user name and password; <paramref name="url"/> is where to go after.</summary>
    public static Task<HttpResponseMessage> SignInAsync(HttpClient browser, string username, string password, string url = "", string path = "__login__") =>
        PostAsync(browser, path, new Dictionary<string, string> { ["username"] = username, ["password"] = password, ["url"] = url });

    [GeneratedRegex("<input type=\"hidden\" name=\"(form_token)\" value=\"([^\"]*)\">")]
    private static partial Regex TokenField();
}
