import { loggableUrl } from './loggable-url';

describe('loggableUrl', () => {
  it.each([
    ['https://api.example.com/v1/items?token=secret&page=2', 'https://api.example.com/v1/items'],
    ['https://user:secret@api.example.com:8443/v1#frag', 'https://api.example.com:8443/v1'],
    ['https://api.example.com', 'https://api.example.com/'],
    ['redis://:secret@redis.internal:6379/0', 'redis://redis.internal:6379/0'],
    ['rediss://default:secret@redis.internal:6380', 'rediss://redis.internal:6380'],
    ['/api/orchestrator/sessions/x/events?token=secret', '/api/orchestrator/sessions/x/events'],
    ['/docs#top', '/docs'],
    ['/health', '/health'],
  ])('shows %s as %s', (url, shown) => {
    expect(loggableUrl(url)).toBe(shown);
  });

  it('takes a URL object as well', () => {
    expect(loggableUrl(new URL('http://127.0.0.1:9/x?token=secret'))).toBe('http://127.0.0.1:9/x');
  });
});
