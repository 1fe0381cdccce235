// The widget's texts, in pt-BR and English.

export interface Strings {
  chat: string;
  open: string;
  close: string;
  placeholder: string;
  send: string;
  emoji: string;
  attach: string;
  sending: string;
  sent: string;
  read: string;
  typing(name: string): string;
  queue(n: number): string;
  agent(name: string): string;
  ended: string;
  protocol: string;
  offline: string;
  newMessage: string;
  slowDown: string;
  tooLarge: string;
  uploadFailed: string;
  prechatIntro: string;
  name: string;
  email: string;
  phone: string;
  department: string;
  message: string;
  start: string;
  leaveMessage: string;
}

const pt: Strings = {
  chat: "Chat",
  open: "Abrir o chat",
  close: "Fechar o chat",
  placeholder: "Escreva sua mensagem",
  send: "Enviar",
  emoji: "Emojis",
  attach: "Anexar arquivo",
  sending: "enviando…",
  sent: "enviada",
  read: "lida",
  typing: (n) => (n ? n + " está digitando…" : "digitando…"),
  queue: (n) => "Você é o " + n + "º da fila",
  agent: (n) => n + " está atendendo você",
  ended: "Atendimento encerrado",
  protocol: "protocolo",
  offline: "Sem atendentes no momento",
  newMessage: "(1) Nova mensagem",
  slowDown: "Muitas mensagens seguidas; aguarde um instante.",
  tooLarge: "Arquivo grande demais.",
  uploadFailed: "Não foi possível enviar o arquivo.",
  prechatIntro: "Antes de começar, conte quem é você.",
  name: "Nome",
  email: "E-mail",
  phone: "Telefone",
  department: "Departamento",
  message: "Mensagem",
  start: "Iniciar conversa",
  leaveMessage: "Enviar mensagem",
};

const en: Strings = {
  chat: "Chat",
  open: "Open the chat",
  close: "Close the chat",
  placeholder: "Write your message",
  send: "Send",
  emoji: "Emoji",
  attach: "Attach a file",
  sending: "sending…",
  sent: "sent",
  read: "read",
  typing: (n) => (n ? n + " is typing…" : "typing…"),
  queue: (n) => "You are number " + n + " in the queue",
  agent: (n) => n + " is answering you",
  ended: "Conversation ended",
  protocol: "protocol",
  offline: "No one is available right now",
  newMessage: "(1) New message",
  slowDown: "Too many messages at once; wait a moment.",
  tooLarge: "The file is too large.",
  uploadFailed: "The file could not be sent.",
  prechatIntro: "Before we start, tell us who you are.",
  name: "Name",
  email: "E-mail",
  phone: "Phone",
  department: "Department",
  message: "Message",
  start: "Start the conversation",
  leaveMessage: "Send message",
};

// strings picks English for an English browser or setting, pt-BR otherwise.
export function strings(lang: string): Strings {
  return /^en/i.test(lang || "") ? en : pt;
}
