using Connect.Admin.Components;
using Connect.Admin.Services;
using Connect.Shared.Cluster;
using Connect.Shared.Configuration;
using Connect.Shared.Data;
using MudBlazor.Services;

var config = ConfigurationLoader.Load(args);
if (!config.IsValid)
{
    Console.Error.WriteLine($"connect-admin: the configuration{(config.Path is null ? "" : $" in {config.Path}")} has {config.Errors.Count} problem(s):");
    foreach (var error in config.Errors)
    {
        Console.Error.WriteLine($"  {error}");
    }

    return 2;
}

var options = config.Options;
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
// Serve MudBlazor's and the framework's assets straight from the build output, in any environment.
builder.WebHost.UseStaticWebAssets();
ListenAddress.TryParse(options.Admin.Listen, out var listen);
builder.WebHost.UseUrls(listen.ToBindUrl());
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

builder.Services.AddSingleton(options);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton(_ => ConnectDatabase.Create(options));
builder.Services.AddSingleton<NodeRegistry>();
builder.Services.AddSingleton<SchemaState>();
builder.Services.AddSingleton<IClusterSource, DatabaseClusterSource>();
builder.Services.AddRazorComponents().AddInteractiveServerComponents();
builder.Services.AddMudServices();

var app = builder.Build();
app.UseAntiforgery();
app.MapStaticAssets();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
app.Run();
return 0;
