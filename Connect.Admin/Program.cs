using System.Net;
using Connect.Admin.Components;
using Connect.Admin.Services;
using Connect.Shared.Cluster;
using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Data;
using Connect.Shared.Operations;
using Connect.Shared.Scheduling;
using Connect.Shared.Security;
using Connect.Shared.Web;
using Connect.Shared.Tasks;
using Connect.Shared.Users;
using MudBlazor.Services;

var config = ConfigurationLoader.Load(args);
if (!config.IsValid)
{
    Console.Error.WriteLine($"connect-admin: the configuration{(config.Path is null ? "" : $" in {config.Path}")} has {config.Errors.Count} problem(s):");
    foreach (var error in config.Errors)
    {
        Console.Error.WriteLine($"  {error}");
    }

    return ExitCodes.Usage;
}

var options = config.Options;
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
// Serve MudBlazor's and the framework's assets straight from the build output, in any environment.
builder.WebHost.UseStaticWebAssets();
ListenAddress.TryParse(options.Admin.Listen, out var listen);
builder.WebHost.UseUrls(listen.ToBindUrl());
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
// Requests naming any other host are refused: a DNS name rebound to this machine gets nowhere.
builder.Configuration["AllowedHosts"] = options.Admin.AllowedHosts;

builder.Services.AddConnectData(options);
builder.Services.AddSingleton<IContentCatalog, ContentCatalog>();
builder.Services.AddSingleton<IPackageCacheView, PackageCacheView>();
builder.Services.AddSingleton<IClusterSource, DatabaseClusterSource>();
builder.Services.AddSingleton<ClusterMonitor>();
builder.Services.AddSingleton<IClusterFeed>(sp => sp.GetRequiredService<ClusterMonitor>());
builder.Services.AddHostedService(sp => sp.GetRequiredService<ClusterMonitor>());
builder.Services.AddSingleton<IWorkerControl, DatabaseWorkerControl>();
// Every service that changes something is registered behind its audit decorator: no change goes unrecorded.
builder.Services.AddSingleton<IDashboardAudit, DashboardAudit>();
builder.Services.AddSingleton<AccountKeys>();
builder.Services.AddSingleton<IAccountKeys, AuditedAccountKeys>();
builder.Services.AddSingleton<ContentDesk>();
builder.Services.AddSingleton<IContentDesk, AuditedContentDesk>();
builder.Services.AddSingleton<People>();
builder.Services.AddSingleton<IPeople, AuditedPeople>();
builder.Services.AddSingleton<GroupsDesk>();
builder.Services.AddSingleton<IGroupsDesk, AuditedGroupsDesk>();
builder.Services.AddSingleton<DirectoryDesk>();
builder.Services.AddSingleton<IDirectoryDesk, AuditedDirectoryDesk>();
builder.Services.AddRazorComponents().AddInteractiveServerComponents();
builder.Services.AddMudServices();

// The same users, session cookie and key ring as the nodes: a session made on a node of this
// host is good here too. Every page needs someone signed in; the cluster's pages need an administrator.
builder.Services.AddConnectDataProtection(options);
// Behind a signing-in proxy (Authentication.Provider = proxy) its header names the user, as on the nodes.
builder.Services.AddAuthentication("Dashboard")
    .AddPolicyScheme("Dashboard", "proxy or session", o => o.ForwardDefaultSelector = context =>
        ProxyAuthentication.Applies(context, options) ? ProxyAuthentication.Scheme : Sessions.Scheme)
    .AddProxyAuthentication()
    .AddOpenIdSignIn(options, "/login", options.Server.DashboardAddress)
    .AddSessionCookie("/login", o => o.AccessDeniedPath = "/denied");
builder.Services.AddAuthorizationBuilder()
    .SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
builder.Services.AddCascadingAuthenticationState();
builder.Services.AddSignInRateLimit();

var app = builder.Build();
try
{
    await DataProtectionSetup.EnsureKeyRingAsync(app.Services, CancellationToken.None);
}
catch (InvalidOperationException e)
{
    // The secret key file is unusable or not the cluster's: no session could be read or made.
    app.Logger.LogCritical("Refusing to start: {Problem}", e.Message);
    await Console.Error.WriteLineAsync($"connect-admin: refusing to start: {e.Message}");
    return ExitCodes.Failed;
}
catch (Exception e) when (DatabaseErrors.IsConnectionProblem(e))
{
    // The console copes with a database that is not there yet (a node may be creating it); the key
    // ring is read again on first use.
    app.Logger.LogWarning(e, "The database is not reachable yet; sign-in will work once it is");
}

// Behind a load balancer that terminates TLS, the scheme and host the browser used come from it (only from the
// addresses in LoadBalancing.TrustedProxies): the origin check below compares a request's Origin with them.
app.UseProxyPeerCheck(options);
app.UseTrustedProxies(options);
app.Use(async (context, next) =>
{
    // A page of another site (a content item on a node of this host included) must not drive the
    // console with an administrator's cookie, over HTTP or the console's WebSocket.
    var origin = context.Request.Headers.Origin.ToString();
    if (origin.Length > 0 && !string.Equals(origin, $"{context.Request.Scheme}://{context.Request.Host}", StringComparison.OrdinalIgnoreCase))
    {
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        await context.Response.WriteAsync("cross-origin requests are refused");
        return;
    }

    await next();
});
// rsconnect, connectapi or a script pointed at the dashboard instead of the server: a JSON error they can show,
// not a redirect to a sign-in page (which rsconnect reports as "$ operator is invalid for atomic vectors").
app.MapWhen(context => context.Request.Path.StartsWithSegments("/__api__"), api => api.Run(async context =>
{
    context.Response.StatusCode = StatusCodes.Status404NotFound;
    await context.Response.WriteAsJsonAsync(new
    {
        code = 2,
        error = "this is Connect's dashboard, not its server: point your client at the server's address (Server.Address), not at the dashboard's",
        payload = (object?)null,
    });
}));
app.UseAuthentication();
app.UseAuthorization();
app.UseRateLimiter();
app.UseAntiforgery();
app.MapSignIn("/login", "/logout", "/login");
app.MapGet("/denied", () => SignIn.Html(HttpStatusCode.Forbidden, "Administrators only",
    """<h1>Administrators only</h1><p>This page is for administrators. <a href="/content">Your content</a> is here; <a href="/logout">sign out</a> to sign in as an administrator.</p>""")).AllowAnonymous();
app.MapBundleDownloads();
app.MapStaticAssets().AllowAnonymous();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
app.Run();
return ExitCodes.Ok;
