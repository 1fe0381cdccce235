// The widget's styles: they live in its shadow root, so the site's styles
// never reach it and its own never leak out.
export const css = `
:host{all:initial!important;display:block!important}
.w{all:initial;--atende-color:#1f6feb;--atende-text:#fff;position:fixed;right:20px;bottom:20px;z-index:2147483000;font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;text-align:left;direction:ltr}
*{box-sizing:border-box;font:inherit}
[hidden]{display:none!important}
button{cursor:pointer}
button:focus-visible,input:focus-visible,textarea:focus-visible,select:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}
.launcher{width:60px;height:60px;border-radius:50%;border:0;background:var(--atende-color);color:var(--atende-text);box-shadow:0 4px 14px rgba(0,0,0,.25);position:relative;display:flex;align-items:center;justify-content:center;margin-left:auto;padding:0}
.icon{display:flex}
.badge{position:absolute;top:-4px;right:-4px;min-width:22px;height:22px;border-radius:11px;background:#d1242f;color:#fff;font-size:12px;font-weight:700;display:flex;align-items:center;justify-content:center;padding:0 5px}
.panel{position:absolute;right:0;bottom:76px;width:370px;height:560px;max-height:calc(100vh - 110px);background:#fff;border-radius:14px;box-shadow:0 8px 30px rgba(0,0,0,.25);display:flex;flex-direction:column;overflow:hidden}
.header{background:var(--atende-color);color:var(--atende-text);padding:14px 16px;display:flex;align-items:center;gap:8px}
.heading{flex:1;min-width:0}
.title{font-weight:700;font-size:16px}
.subtitle{font-size:13px;opacity:.9;min-height:18px}
.close{background:transparent;border:0;color:inherit;font-size:26px;line-height:1;width:36px;height:36px;border-radius:8px}
.log{flex:1;overflow-y:auto;padding:14px;background:#f6f8fa;display:flex;flex-direction:column;gap:8px}
.msg{max-width:80%;padding:8px 12px;border-radius:12px;white-space:pre-wrap;word-wrap:break-word;overflow-wrap:anywhere}
.msg.agent{background:#fff;border:1px solid #d0d7de;align-self:flex-start;border-bottom-left-radius:4px}
.msg.visitor{background:var(--atende-color);color:var(--atende-text);align-self:flex-end;border-bottom-right-radius:4px}
.msg.pending{opacity:.6}
.file{display:block;color:inherit;margin-top:4px;text-decoration:underline}
.file img{display:block;max-width:100%;max-height:200px;border-radius:8px}
.author{font-size:12px;font-weight:700;margin-bottom:2px}
.meta{font-size:11px;opacity:.75;margin-top:3px;text-align:right}
.system{align-self:center;font-size:12px;color:#57606a;text-align:center}
.typing,.notice{font-size:12px;color:#57606a;padding:4px 14px;background:#f6f8fa}
.notice{color:#9a6700}
.form{padding:14px;display:flex;flex-direction:column;gap:8px;overflow-y:auto;border-top:1px solid #d0d7de}
.form p{margin:0;font-size:14px}
.form label{display:flex;flex-direction:column;font-size:13px;gap:3px}
.form input,.form select,.form textarea,.composer textarea{border:1px solid #8c959f;border-radius:8px;padding:8px;width:100%;background:#fff;color:#1b1f24;resize:none}
.send{background:var(--atende-color);color:var(--atende-text);border:0;border-radius:8px;padding:9px 14px;font-weight:700}
.composer{display:flex;align-items:flex-end;gap:6px;padding:10px;border-top:1px solid #d0d7de;position:relative}
.composer textarea{flex:1;max-height:120px;min-width:0}
.composer textarea::placeholder{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.tool{background:transparent;border:0;font-size:20px;width:36px;height:38px;border-radius:8px}
.palette{position:absolute;bottom:58px;left:10px;background:#fff;border:1px solid #d0d7de;border-radius:10px;padding:6px;display:grid;grid-template-columns:repeat(6,1fr);gap:2px;box-shadow:0 4px 14px rgba(0,0,0,.15)}
.palette button{background:transparent;border:0;font-size:20px;width:36px;height:36px;border-radius:6px}
@media (max-width:480px){
.w.open{right:0;bottom:0;left:0;top:0}
.w.open .launcher{display:none}
.panel{position:fixed;inset:0;width:auto;height:auto;max-height:none;border-radius:0}
}
`;
