using System.Security.Claims;
using Bunit;
using Connect.Shared.Access;
using Connect.Shared.Security;
using Connect.Shared.Users;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MudBlazor.Services;

namespace Connect.Admin.Tests;

/// <summary>bUnit context with MudBlazor registered, loose JS interop and a steerable clock.</summary>
public abstract class AdminTestContext : BunitContext, IAsyncLifetime
{
    protected AdminTestContext()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddSingleton<TimeProvider>(Clock);
        Services.AddSingleton(Options);
    }

    /// <summary>The configuration the pages read (password sign-in unless a test says otherwise).</summary>
    protected Connect.Shared.Configuration.ConnectOptions Options { get; } = new();

    protected FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    /// <summary>Signs the page's user in with the claims a session gives (her id and role); an administrator unless said.</summary>
    protected Caller SignIn(string username = "admin", UserRole role = UserRole.Administrator, long id = 1)
    {
        var authorization = AddAuthorization();
        authorization.SetAuthorized(username);
        authorization.SetRoles(role.ToString());
        authorization.SetClaims(new Claim(Sessions.UserIdClaim, id.ToString()));
        return new Caller(id, username, role);
    }

    public virtual Task InitializeAsync() => Task.CompletedTask;

    // MudBlazor's services can only be disposed asynchronously; xUnit then calls Dispose, which finds them gone.
    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();
}
