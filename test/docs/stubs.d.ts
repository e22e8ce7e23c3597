// Just enough of the frameworks that docs/frameworks.md writes for, and that are not installed
// here, for its snippets to typecheck: the shapes the snippets use, as those frameworks declare them.

declare module 'next/server' {
  /** Opts a Server Component into dynamic rendering (Next.js 15+). */
  export function connection(): Promise<void>
}

declare module 'next' {
  export interface NextConfig {
    basePath?: string
    serverExternalPackages?: string[]
    experimental?: {
      proxyClientMaxBodySize?: string | number
      serverActions?: { bodySizeLimit?: string | number }
    }
  }
}

declare module '@sveltejs/kit' {
  export interface RequestEvent {
    request: Request
    params: Record<string, string>
    url: URL
  }
  export type RequestHandler = (event: RequestEvent) => Response | Promise<Response>
}

declare module 'react-router' {
  export interface LoaderFunctionArgs {
    request: Request
    params: Record<string, string | undefined>
  }
  export type ActionFunctionArgs = LoaderFunctionArgs
  export function redirect(url: string, init?: number | ResponseInit): Response
}

declare namespace Bun {
  interface ServeOptions {
    port?: number
    hostname?: string
    maxRequestBodySize?: number
    fetch(request: Request): Response | Promise<Response>
  }
  interface Server {
    readonly port: number
  }
}
declare const Bun: { serve(options: Bun.ServeOptions): Bun.Server }

declare const Deno: {
  serve(handler: (request: Request) => Response | Promise<Response>): unknown
  serve(options: { port?: number; hostname?: string }, handler: (request: Request) => Response | Promise<Response>): unknown
  env: { get(name: string): string | undefined }
}
