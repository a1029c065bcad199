using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Connect.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Connect.Runtime.Tests.Authentication;

/// <summary>A fresh server's first administrator made by whoever holds the bootstrap secret, as rsconnect bootstrap asks.</summary>
public sealed class BootstrapTests : IDisposable
{
    private readonly TempDirectory _folder = new("connect-bootstrap");

    public void Dispose() => _folder.Dispose();

    /// <summary>A token as rsconnect-python makes one: HS256, issuer rsconnect-python, audience rsconnect, scope bootstrap.</summary>
    private static string Token(byte[] secret, string scope = "bootstrap", TimeSpan? expiresIn = null) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = "rsconnect-python",
        Audience = "rsconnect",
        IssuedAt = DateTime.UtcNow.AddMinutes(-10),
        NotBefore = DateTime.UtcNow.AddMinutes(-10),
        Expires = DateTime.UtcNow + (expiresIn ?? TimeSpan.FromMinutes(5)),
        Claims = new Dictionary<string, object> { ["scope"] = scope, ["jti"] = Guid.NewGuid().ToString() },
        SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(secret), SecurityAlgorithms.HmacSha256),
    });

    private static HttpRequestMessage Bootstrap(string token, string path = "__api__/v1/bootstrap") =>
        new(HttpMethod.Post, path) { Headers = { { "Authorization", $"Connect-Bootstrap {token}" } } };

    [Fact]
    public async Task A_fresh_server_gives_its_first_administrators_key_once_to_a_token_signed_with_its_secret()
    {
        var secret = RandomNumberGenerator.GetBytes(32);
        var keyFile = _folder.File("bootstrap.key");
        await File.WriteAllTextAsync(keyFile, Convert.ToBase64String(secret));
        await using var node = NodeProcess.Start(_folder, "node", $"[Bootstrap]\nEnabled = true\nSecretKeyFile = {keyFile}\n");
        await node.WaitUntilServingAsync();
        Assert.False(File.Exists(Path.Combine(node.DataDir, "admin-api-key")), "with bootstrapping on, no administrator is made on the first start");

        var forged = await node.Http.SendAsync(Bootstrap(Token(RandomNumberGenerator.GetBytes(32))));
        var wrongScope = await node.Http.SendAsync(Bootstrap(Token(secret, scope: "admin")));
        var expired = await node.Http.SendAsync(Bootstrap(Token(secret, expiresIn: TimeSpan.FromMinutes(-5))));
        var bare = await node.Http.PostAsync("__api__/v1/bootstrap", null);
        Assert.All([forged, wrongScope, expired, bare], r => Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode));

        var granted = await node.Http.SendAsync(Bootstrap(Token(secret), "__api__/v1/experimental/bootstrap"));
        Assert.Equal(HttpStatusCode.OK, granted.StatusCode);
        var key = (await granted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("api_key").GetString()!;
        using var admin = node.ClientWithKey(key);
        var me = await admin.GetFromJsonAsync<JsonElement>("__api__/v1/user");
        Assert.Equal(("admin", "administrator"), (me.GetProperty("username").GetString(), me.GetProperty("user_role").GetString()));

        // Only for a fresh server: once a user exists it refuses, the same token or a new one.
        Assert.Equal(HttpStatusCode.Forbidden, (await node.Http.SendAsync(Bootstrap(Token(secret)))).StatusCode);
    }

    [Fact]
    public async Task Bootstrapping_without_a_readable_secret_is_refused_at_start_by_key_name()
    {
        var (code, output) = await NodeProcess.RunCommandAsync(
            NodeProcess.WriteConfig(_folder, "node", "[Bootstrap]\nEnabled = true\nSecretKeyFile = /nonexistent/bootstrap.key\n"), null, "run");

        Assert.NotEqual(0, code);
        Assert.Contains("Bootstrap.SecretKeyFile", output);
        Assert.Contains("/nonexistent/bootstrap.key cannot be read", output);
    }
}
