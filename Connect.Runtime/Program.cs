using Connect.Runtime.CommandLine;

return await ConnectCommand.RunAsync(args, Console.Out, Console.Error, Console.In);
