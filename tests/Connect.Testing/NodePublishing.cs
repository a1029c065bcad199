using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Connect.Testing;

/// <summary>Publishing through a node's HTTP API as the admin, without R: quick set-up for runtime tests.</summary>
public static class NodePublishing
{
    /// <summary>
    /// Creates content <paramref name="name"/>, uploads and deploys <paramref name="bundle"/>; returns its GUID.
    /// The runtime tests talk to content as anonymous viewers, so it is open to all unless <paramref name="accessType"/> says otherwise.
    /// </summary>
    public static async Task<string> DeployAsync(this NodeProcess node, string name, byte[] bundle, string accessType = "all")
    {
        var guid = await node.CreateContentAsync(name, accessType);
        await node.RedeployAsync(guid, bundle);
        return guid;
    }

    /// <summary>Creates content <paramref name="name"/> with no bundle yet, open to <paramref name="accessType"/>; returns its GUID.</summary>
    public static async Task<string> CreateContentAsync(this NodeProcess node, string name, string accessType = "all")
    {
        using var admin = node.ClientWithKey(node.AdminKey);
        var created = await admin.PostAsJsonAsync("__api__/v1/content", new { name });
        var guid = (await Json(created)).GetProperty("guid").GetString()!;
        await node.SetAccessTypeAsync(guid, accessType);
        return guid;
    }

    /// <summary>Sets who may view the content: <c>all</c>, <c>logged_in</c> or <c>acl</c>.</summary>
    public static async Task SetAccessTypeAsync(this NodeProcess node, string guid, string accessType)
    {
        using var admin = node.ClientWithKey(node.AdminKey);
        var patched = await admin.PatchAsJsonAsync($"__api__/v1/content/{guid}", new { access_type = accessType });
        if (!patched.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"setting access_type failed: {await patched.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>
    /// Uploads and deploys a new bundle of existing content and waits for the deploy to succeed, each call and the
    /// deploy itself within <paramref name="timeout"/> (by default the usual API call's and wait's).
    /// </summary>
    public static async Task RedeployAsync(this NodeProcess node, string guid, byte[] bundle, TimeSpan? timeout = null)
    {
        var task = await node.TryRedeployAsync(guid, bundle, timeout);
        if (task.GetProperty("code").GetInt32() != 0)
        {
            throw new InvalidOperationException($"deploy failed: {task}");
        }
    }

    /// <summary>Uploads and deploys a new bundle of existing content; the finished deploy task, whether it succeeded or not.</summary>
    public static async Task<JsonElement> TryRedeployAsync(this NodeProcess node, string guid, byte[] bundle, TimeSpan? timeout = null)
    {
        using var admin = node.ClientWithKey(node.AdminKey, timeout: timeout);
        var body = new ByteArrayContent(bundle);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/gzip");
        var upload = await admin.PostAsync($"__api__/v1/content/{guid}/bundles", body);
        var uploaded = await Json(upload);
        if (!upload.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"upload failed: {uploaded}");
        }

        var deploy = await admin.PostAsJsonAsync($"__api__/v1/content/{guid}/deploy", new { bundle_id = uploaded.GetProperty("id").GetString() });
        return await admin.WaitForTaskAsync((await Json(deploy)).GetProperty("task_id").GetString()!, timeout);
    }

    /// <summary>Waits for task <paramref name="taskId"/> to finish (within <paramref name="timeout"/>); returns it as <c>/v1/tasks/{id}</c> gives it.</summary>
    public static async Task<JsonElement> WaitForTaskAsync(this HttpClient admin, string taskId, TimeSpan? timeout = null)
    {
        JsonElement task = default;
        await Wait.UntilAsync(async () =>
        {
            task = await Json(await admin.GetAsync($"__api__/v1/tasks/{taskId}"));
            return task.GetProperty("finished").GetBoolean();
        }, $"task {taskId}", timeout);
        return task;
    }

    /// <summary>This node's worker processes, from <c>/__api__/v1/server/processes</c>.</summary>
    public static async Task<JsonElement> ProcessesAsync(this NodeProcess node)
    {
        using var admin = node.ClientWithKey(node.AdminKey);
        return await Json(await admin.GetAsync("__api__/v1/server/processes"));
    }

    public static async Task<List<JsonElement>> WorkersOfAsync(this NodeProcess node, string guid) =>
        (await node.ProcessesAsync()).GetProperty("processes").EnumerateArray()
            .Where(p => p.GetProperty("content_guid").GetString() == guid).ToList();

    /// <summary>Every content item's GUID by name, from <c>/__api__/v1/content</c>.</summary>
    public static async Task<Dictionary<string, string>> ContentByNameAsync(this HttpClient admin) =>
        (await admin.GetFromJsonAsync<JsonElement>("__api__/v1/content")).EnumerateArray()
            .ToDictionary(i => i.GetProperty("name").GetString()!, i => i.GetProperty("guid").GetString()!);

    /// <summary>Adds an hourly schedule to <paramref name="guid"/> whose first run is due at once.</summary>
    public static async Task ScheduleNowAsync(this HttpClient admin, string guid)
    {
        var response = await admin.PostAsJsonAsync($"__api__/v1/content/{guid}/schedules", new { interval = "1h", start = DateTimeOffset.UtcNow.AddSeconds(-1) });
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"scheduling failed: {await response.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>The scheduled runs of <paramref name="guid"/>, from <c>/__api__/v1/content/{guid}/jobs</c>.</summary>
    public static async Task<List<JsonElement>> JobsAsync(this HttpClient admin, string guid) =>
        (await admin.GetFromJsonAsync<JsonElement>($"__api__/v1/content/{guid}/jobs")).EnumerateArray().ToList();

    public static async Task<JsonElement> Json(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
}
