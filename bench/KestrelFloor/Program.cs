// Serves one file's bytes from memory on every path: no routing, no middleware, no logging.
// Usage: KestrelFloor FILE PORT
var body = File.ReadAllBytes(args[0]);
var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(k =>
{
    k.AddServerHeader = false;
    k.ListenLocalhost(int.Parse(args[1]));
});
var app = builder.Build();
app.Run(context =>
{
    context.Response.ContentType = "text/html";
    context.Response.ContentLength = body.Length;
    return context.Response.Body.WriteAsync(body).AsTask();
});
app.Run();
