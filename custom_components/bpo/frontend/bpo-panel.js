// bpo panel and card: built by scripts/frontend from frontend/src (do not edit; see docs/home-assistant.md).
var Z=globalThis,Y=Z.ShadowRoot&&(Z.ShadyCSS===void 0||Z.ShadyCSS.nativeShadow)&&"adoptedStyleSheets"in Document.prototype&&"replace"in CSSStyleSheet.prototype,ce=Symbol(),xe=new WeakMap,z=class{constructor(e,t,s){if(this._$cssResult$=!0,s!==ce)throw Error("CSSResult is not constructable. Use `unsafeCSS` or `css` instead.");this.cssText=e,this.t=t}get styleSheet(){let e=this.o,t=this.t;if(Y&&e===void 0){let s=t!==void 0&&t.length===1;s&&(e=xe.get(t)),e===void 0&&((this.o=e=new CSSStyleSheet).replaceSync(this.cssText),s&&xe.set(t,e))}return e}toString(){return this.cssText}},we=r=>new z(typeof r=="string"?r:r+"",void 0,ce),C=(r,...e)=>{let t=r.length===1?r[0]:e.reduce((s,i,a)=>s+(n=>{if(n._$cssResult$===!0)return n.cssText;if(typeof n=="number")return n;throw Error("Value passed to 'css' function must be a 'css' function result: "+n+". Use 'unsafeCSS' to pass non-literal values, but take care to ensure page security.")})(i)+r[a+1],r[0]);return new z(t,r,ce)},ke=(r,e)=>{if(Y)r.adoptedStyleSheets=e.map(t=>t instanceof CSSStyleSheet?t:t.styleSheet);else for(let t of e){let s=document.createElement("style"),i=Z.litNonce;i!==void 0&&s.setAttribute("nonce",i),s.textContent=t.cssText,r.appendChild(s)}},pe=Y?r=>r:r=>r instanceof CSSStyleSheet?(e=>{let t="";for(let s of e.cssRules)t+=s.cssText;return we(t)})(r):r;var{is:pt,defineProperty:ht,getOwnPropertyDescriptor:ut,getOwnPropertyNames:mt,getOwnPropertySymbols:gt,getPrototypeOf:ft}=Object,J=globalThis,Ae=J.trustedTypes,$t=Ae?Ae.emptyScript:"",bt=J.reactiveElementPolyfillSupport,V=(r,e)=>r,he={toAttribute(r,e){switch(e){case Boolean:r=r?$t:null;break;case Object:case Array:r=r==null?r:JSON.stringify(r)}return r},fromAttribute(r,e){let t=r;switch(e){case Boolean:t=r!==null;break;case Number:t=r===null?null:Number(r);break;case Object:case Array:try{t=JSON.parse(r)}catch{t=null}}return t}},Se=(r,e)=>!pt(r,e),Ee={attribute:!0,type:String,converter:he,reflect:!1,useDefault:!1,hasChanged:Se};Symbol.metadata??=Symbol("metadata"),J.litPropertyMetadata??=new WeakMap;var k=class extends HTMLElement{static addInitializer(e){this._$Ei(),(this.l??=[]).push(e)}static get observedAttributes(){return this.finalize(),this._$Eh&&[...this._$Eh.keys()]}static createProperty(e,t=Ee){if(t.state&&(t.attribute=!1),this._$Ei(),this.prototype.hasOwnProperty(e)&&((t=Object.create(t)).wrapped=!0),this.elementProperties.set(e,t),!t.noAccessor){let s=Symbol(),i=this.getPropertyDescriptor(e,s,t);i!==void 0&&ht(this.prototype,e,i)}}static getPropertyDescriptor(e,t,s){let{get:i,set:a}=ut(this.prototype,e)??{get(){return this[t]},set(n){this[t]=n}};return{get:i,set(n){let d=i?.call(this);a?.call(this,n),this.requestUpdate(e,d,s)},configurable:!0,enumerable:!0}}static getPropertyOptions(e){return this.elementProperties.get(e)??Ee}static _$Ei(){if(this.hasOwnProperty(V("elementProperties")))return;let e=ft(this);e.finalize(),e.l!==void 0&&(this.l=[...e.l]),this.elementProperties=new Map(e.elementProperties)}static finalize(){if(this.hasOwnProperty(V("finalized")))return;if(this.finalized=!0,this._$Ei(),this.hasOwnProperty(V("properties"))){let t=this.properties,s=[...mt(t),...gt(t)];for(let i of s)this.createProperty(i,t[i])}let e=this[Symbol.metadata];if(e!==null){let t=litPropertyMetadata.get(e);if(t!==void 0)for(let[s,i]of t)this.elementProperties.set(s,i)}this._$Eh=new Map;for(let[t,s]of this.elementProperties){let i=this._$Eu(t,s);i!==void 0&&this._$Eh.set(i,t)}this.elementStyles=this.finalizeStyles(this.styles)}static finalizeStyles(e){let t=[];if(Array.isArray(e)){let s=new Set(e.flat(1/0).reverse());for(let i of s)t.unshift(pe(i))}else e!==void 0&&t.push(pe(e));return t}static _$Eu(e,t){let s=t.attribute;return s===!1?void 0:typeof s=="string"?s:typeof e=="string"?e.toLowerCase():void 0}constructor(){super(),this._$Ep=void 0,this.isUpdatePending=!1,this.hasUpdated=!1,this._$Em=null,this._$Ev()}_$Ev(){this._$ES=new Promise(e=>this.enableUpdating=e),this._$AL=new Map,this._$E_(),this.requestUpdate(),this.constructor.l?.forEach(e=>e(this))}addController(e){(this._$EO??=new Set).add(e),this.renderRoot!==void 0&&this.isConnected&&e.hostConnected?.()}removeController(e){this._$EO?.delete(e)}_$E_(){let e=new Map,t=this.constructor.elementProperties;for(let s of t.keys())this.hasOwnProperty(s)&&(e.set(s,this[s]),delete this[s]);e.size>0&&(this._$Ep=e)}createRenderRoot(){let e=this.shadowRoot??this.attachShadow(this.constructor.shadowRootOptions);return ke(e,this.constructor.elementStyles),e}connectedCallback(){this.renderRoot??=this.createRenderRoot(),this.enableUpdating(!0),this._$EO?.forEach(e=>e.hostConnected?.())}enableUpdating(e){}disconnectedCallback(){this._$EO?.forEach(e=>e.hostDisconnected?.())}attributeChangedCallback(e,t,s){this._$AK(e,s)}_$ET(e,t){let s=this.constructor.elementProperties.get(e),i=this.constructor._$Eu(e,s);if(i!==void 0&&s.reflect===!0){let a=(s.converter?.toAttribute!==void 0?s.converter:he).toAttribute(t,s.type);this._$Em=e,a==null?this.removeAttribute(i):this.setAttribute(i,a),this._$Em=null}}_$AK(e,t){let s=this.constructor,i=s._$Eh.get(e);if(i!==void 0&&this._$Em!==i){let a=s.getPropertyOptions(i),n=typeof a.converter=="function"?{fromAttribute:a.converter}:a.converter?.fromAttribute!==void 0?a.converter:he;this._$Em=i;let d=n.fromAttribute(t,a.type);this[i]=d??this._$Ej?.get(i)??d,this._$Em=null}}requestUpdate(e,t,s,i=!1,a){if(e!==void 0){let n=this.constructor;if(i===!1&&(a=this[e]),s??=n.getPropertyOptions(e),!((s.hasChanged??Se)(a,t)||s.useDefault&&s.reflect&&a===this._$Ej?.get(e)&&!this.hasAttribute(n._$Eu(e,s))))return;this.C(e,t,s)}this.isUpdatePending===!1&&(this._$ES=this._$EP())}C(e,t,{useDefault:s,reflect:i,wrapped:a},n){s&&!(this._$Ej??=new Map).has(e)&&(this._$Ej.set(e,n??t??this[e]),a!==!0||n!==void 0)||(this._$AL.has(e)||(this.hasUpdated||s||(t=void 0),this._$AL.set(e,t)),i===!0&&this._$Em!==e&&(this._$Eq??=new Set).add(e))}async _$EP(){this.isUpdatePending=!0;try{await this._$ES}catch(t){Promise.reject(t)}let e=this.scheduleUpdate();return e!=null&&await e,!this.isUpdatePending}scheduleUpdate(){return this.performUpdate()}performUpdate(){if(!this.isUpdatePending)return;if(!this.hasUpdated){if(this.renderRoot??=this.createRenderRoot(),this._$Ep){for(let[i,a]of this._$Ep)this[i]=a;this._$Ep=void 0}let s=this.constructor.elementProperties;if(s.size>0)for(let[i,a]of s){let{wrapped:n}=a,d=this[i];n!==!0||this._$AL.has(i)||d===void 0||this.C(i,void 0,a,d)}}let e=!1,t=this._$AL;try{e=this.shouldUpdate(t),e?(this.willUpdate(t),this._$EO?.forEach(s=>s.hostUpdate?.()),this.update(t)):this._$EM()}catch(s){throw e=!1,this._$EM(),s}e&&this._$AE(t)}willUpdate(e){}_$AE(e){this._$EO?.forEach(t=>t.hostUpdated?.()),this.hasUpdated||(this.hasUpdated=!0,this.firstUpdated(e)),this.updated(e)}_$EM(){this._$AL=new Map,this.isUpdatePending=!1}get updateComplete(){return this.getUpdateComplete()}getUpdateComplete(){return this._$ES}shouldUpdate(e){return!0}update(e){this._$Eq&&=this._$Eq.forEach(t=>this._$ET(t,this[t])),this._$EM()}updated(e){}firstUpdated(e){}};k.elementStyles=[],k.shadowRootOptions={mode:"open"},k[V("elementProperties")]=new Map,k[V("finalized")]=new Map,bt?.({ReactiveElement:k}),(J.reactiveElementVersions??=[]).push("2.1.2");var me=globalThis,Ce=r=>r,Q=me.trustedTypes,Te=Q?Q.createPolicy("lit-html",{createHTML:r=>r}):void 0,ge="$lit$",A=`lit$${Math.random().toFixed(9).slice(2)}$`,fe="?"+A,vt=`<${fe}>`,H=document,W=()=>H.createComment(""),K=r=>r===null||typeof r!="object"&&typeof r!="function",$e=Array.isArray,Ne=r=>$e(r)||typeof r?.[Symbol.iterator]=="function",ue=`[ 	
\f\r]`,q=/<(?:(!--|\/[^a-zA-Z])|(\/?[a-zA-Z][^>\s]*)|(\/?$))/g,Re=/-->/g,He=/>/g,T=RegExp(`>|${ue}(?:([^\\s"'>=/]+)(${ue}*=${ue}*(?:[^ 	
\f\r"'\`<>=]|("|')|))|$)`,"g"),Pe=/'/g,Me=/"/g,Ue=/^(?:script|style|textarea|title)$/i,be=r=>(e,...t)=>({_$litType$:r,strings:e,values:t}),o=be(1),Ft=be(2),Dt=be(3),E=Symbol.for("lit-noChange"),c=Symbol.for("lit-nothing"),Oe=new WeakMap,R=H.createTreeWalker(H,129);function je(r,e){if(!$e(r)||!r.hasOwnProperty("raw"))throw Error("invalid template strings array");return Te!==void 0?Te.createHTML(e):e}var Le=(r,e)=>{let t=r.length-1,s=[],i,a=e===2?"<svg>":e===3?"<math>":"",n=q;for(let d=0;d<t;d++){let l=r[d],h,g,p=-1,m=0;for(;m<l.length&&(n.lastIndex=m,g=n.exec(l),g!==null);)m=n.lastIndex,n===q?g[1]==="!--"?n=Re:g[1]!==void 0?n=He:g[2]!==void 0?(Ue.test(g[2])&&(i=RegExp("</"+g[2],"g")),n=T):g[3]!==void 0&&(n=T):n===T?g[0]===">"?(n=i??q,p=-1):g[1]===void 0?p=-2:(p=n.lastIndex-g[2].length,h=g[1],n=g[3]===void 0?T:g[3]==='"'?Me:Pe):n===Me||n===Pe?n=T:n===Re||n===He?n=q:(n=T,i=void 0);let u=n===T&&r[d+1].startsWith("/>")?" ":"";a+=n===q?l+vt:p>=0?(s.push(h),l.slice(0,p)+ge+l.slice(p)+A+u):l+A+(p===-2?d:u)}return[je(r,a+(r[t]||"<?>")+(e===2?"</svg>":e===3?"</math>":"")),s]},G=class r{constructor({strings:e,_$litType$:t},s){let i;this.parts=[];let a=0,n=0,d=e.length-1,l=this.parts,[h,g]=Le(e,t);if(this.el=r.createElement(h,s),R.currentNode=this.el.content,t===2||t===3){let p=this.el.content.firstChild;p.replaceWith(...p.childNodes)}for(;(i=R.nextNode())!==null&&l.length<d;){if(i.nodeType===1){if(i.hasAttributes())for(let p of i.getAttributeNames())if(p.endsWith(ge)){let m=g[n++],u=i.getAttribute(p).split(A),$=/([.?@])?(.*)/.exec(m);l.push({type:1,index:a,name:$[2],strings:u,ctor:$[1]==="."?ee:$[1]==="?"?te:$[1]==="@"?se:M}),i.removeAttribute(p)}else p.startsWith(A)&&(l.push({type:6,index:a}),i.removeAttribute(p));if(Ue.test(i.tagName)){let p=i.textContent.split(A),m=p.length-1;if(m>0){i.textContent=Q?Q.emptyScript:"";for(let u=0;u<m;u++)i.append(p[u],W()),R.nextNode(),l.push({type:2,index:++a});i.append(p[m],W())}}}else if(i.nodeType===8)if(i.data===fe)l.push({type:2,index:a});else{let p=-1;for(;(p=i.data.indexOf(A,p+1))!==-1;)l.push({type:7,index:a}),p+=A.length-1}a++}}static createElement(e,t){let s=H.createElement("template");return s.innerHTML=e,s}};function P(r,e,t=r,s){if(e===E)return e;let i=s!==void 0?t._$Co?.[s]:t._$Cl,a=K(e)?void 0:e._$litDirective$;return i?.constructor!==a&&(i?._$AO?.(!1),a===void 0?i=void 0:(i=new a(r),i._$AT(r,t,s)),s!==void 0?(t._$Co??=[])[s]=i:t._$Cl=i),i!==void 0&&(e=P(r,i._$AS(r,e.values),i,s)),e}var X=class{constructor(e,t){this._$AV=[],this._$AN=void 0,this._$AD=e,this._$AM=t}get parentNode(){return this._$AM.parentNode}get _$AU(){return this._$AM._$AU}u(e){let{el:{content:t},parts:s}=this._$AD,i=(e?.creationScope??H).importNode(t,!0);R.currentNode=i;let a=R.nextNode(),n=0,d=0,l=s[0];for(;l!==void 0;){if(n===l.index){let h;l.type===2?h=new O(a,a.nextSibling,this,e):l.type===1?h=new l.ctor(a,l.name,l.strings,this,e):l.type===6&&(h=new re(a,this,e)),this._$AV.push(h),l=s[++d]}n!==l?.index&&(a=R.nextNode(),n++)}return R.currentNode=H,i}p(e){let t=0;for(let s of this._$AV)s!==void 0&&(s.strings!==void 0?(s._$AI(e,s,t),t+=s.strings.length-2):s._$AI(e[t])),t++}},O=class r{get _$AU(){return this._$AM?._$AU??this._$Cv}constructor(e,t,s,i){this.type=2,this._$AH=c,this._$AN=void 0,this._$AA=e,this._$AB=t,this._$AM=s,this.options=i,this._$Cv=i?.isConnected??!0}get parentNode(){let e=this._$AA.parentNode,t=this._$AM;return t!==void 0&&e?.nodeType===11&&(e=t.parentNode),e}get startNode(){return this._$AA}get endNode(){return this._$AB}_$AI(e,t=this){e=P(this,e,t),K(e)?e===c||e==null||e===""?(this._$AH!==c&&this._$AR(),this._$AH=c):e!==this._$AH&&e!==E&&this._(e):e._$litType$!==void 0?this.$(e):e.nodeType!==void 0?this.T(e):Ne(e)?this.k(e):this._(e)}O(e){return this._$AA.parentNode.insertBefore(e,this._$AB)}T(e){this._$AH!==e&&(this._$AR(),this._$AH=this.O(e))}_(e){this._$AH!==c&&K(this._$AH)?this._$AA.nextSibling.data=e:this.T(H.createTextNode(e)),this._$AH=e}$(e){let{values:t,_$litType$:s}=e,i=typeof s=="number"?this._$AC(e):(s.el===void 0&&(s.el=G.createElement(je(s.h,s.h[0]),this.options)),s);if(this._$AH?._$AD===i)this._$AH.p(t);else{let a=new X(i,this),n=a.u(this.options);a.p(t),this.T(n),this._$AH=a}}_$AC(e){let t=Oe.get(e.strings);return t===void 0&&Oe.set(e.strings,t=new G(e)),t}k(e){$e(this._$AH)||(this._$AH=[],this._$AR());let t=this._$AH,s,i=0;for(let a of e)i===t.length?t.push(s=new r(this.O(W()),this.O(W()),this,this.options)):s=t[i],s._$AI(a),i++;i<t.length&&(this._$AR(s&&s._$AB.nextSibling,i),t.length=i)}_$AR(e=this._$AA.nextSibling,t){for(this._$AP?.(!1,!0,t);e!==this._$AB;){let s=Ce(e).nextSibling;Ce(e).remove(),e=s}}setConnected(e){this._$AM===void 0&&(this._$Cv=e,this._$AP?.(e))}},M=class{get tagName(){return this.element.tagName}get _$AU(){return this._$AM._$AU}constructor(e,t,s,i,a){this.type=1,this._$AH=c,this._$AN=void 0,this.element=e,this.name=t,this._$AM=i,this.options=a,s.length>2||s[0]!==""||s[1]!==""?(this._$AH=Array(s.length-1).fill(new String),this.strings=s):this._$AH=c}_$AI(e,t=this,s,i){let a=this.strings,n=!1;if(a===void 0)e=P(this,e,t,0),n=!K(e)||e!==this._$AH&&e!==E,n&&(this._$AH=e);else{let d=e,l,h;for(e=a[0],l=0;l<a.length-1;l++)h=P(this,d[s+l],t,l),h===E&&(h=this._$AH[l]),n||=!K(h)||h!==this._$AH[l],h===c?e=c:e!==c&&(e+=(h??"")+a[l+1]),this._$AH[l]=h}n&&!i&&this.j(e)}j(e){e===c?this.element.removeAttribute(this.name):this.element.setAttribute(this.name,e??"")}},ee=class extends M{constructor(){super(...arguments),this.type=3}j(e){this.element[this.name]=e===c?void 0:e}},te=class extends M{constructor(){super(...arguments),this.type=4}j(e){this.element.toggleAttribute(this.name,!!e&&e!==c)}},se=class extends M{constructor(e,t,s,i,a){super(e,t,s,i,a),this.type=5}_$AI(e,t=this){if((e=P(this,e,t,0)??c)===E)return;let s=this._$AH,i=e===c&&s!==c||e.capture!==s.capture||e.once!==s.once||e.passive!==s.passive,a=e!==c&&(s===c||i);i&&this.element.removeEventListener(this.name,this,s),a&&this.element.addEventListener(this.name,this,e),this._$AH=e}handleEvent(e){typeof this._$AH=="function"?this._$AH.call(this.options?.host??this.element,e):this._$AH.handleEvent(e)}},re=class{constructor(e,t,s){this.element=e,this.type=6,this._$AN=void 0,this._$AM=t,this.options=s}get _$AU(){return this._$AM._$AU}_$AI(e){P(this,e)}},Ie={M:ge,P:A,A:fe,C:1,L:Le,R:X,D:Ne,V:P,I:O,H:M,N:te,U:se,B:ee,F:re},yt=me.litHtmlPolyfillSupport;yt?.(G,O),(me.litHtmlVersions??=[]).push("3.3.3");var Be=(r,e,t)=>{let s=t?.renderBefore??e,i=s._$litPart$;if(i===void 0){let a=t?.renderBefore??null;s._$litPart$=i=new O(e.insertBefore(W(),a),a,void 0,t??{})}return i._$AI(r),i};var ve=globalThis,f=class extends k{constructor(){super(...arguments),this.renderOptions={host:this},this._$Do=void 0}createRenderRoot(){let e=super.createRenderRoot();return this.renderOptions.renderBefore??=e.firstChild,e}update(e){let t=this.render();this.hasUpdated||(this.renderOptions.isConnected=this.isConnected),super.update(e),this._$Do=Be(t,this.renderRoot,this.renderOptions)}connectedCallback(){super.connectedCallback(),this._$Do?.setConnected(!0)}disconnectedCallback(){super.disconnectedCallback(),this._$Do?.setConnected(!1)}render(){return E}};f._$litElement$=!0,f.finalized=!0,ve.litElementHydrateSupport?.({LitElement:f});var _t=ve.litElementPolyfillSupport;_t?.({LitElement:f});(ve.litElementVersions??=[]).push("4.2.2");var Fe=(r,e=!1)=>r.callWS({type:"bpo/tasks/list",include_closed:e}).then(t=>t.tasks),De=(r,e,t,s)=>r.callWS({type:"bpo/task/complete",task_id:e,...t?{outcome:t}:{},...Object.keys(s).length?{form:s}:{}}),ze=(r,e)=>r.callWS({type:"bpo/task/claim",task_id:e}),Ve=(r,e,t)=>r.callWS({type:"bpo/task/reassign",task_id:e,assignee:t}),qe=r=>r.callWS({type:"bpo/instances/list"}).then(e=>e.instances),We=(r,e)=>r.callWS({type:"bpo/instance/get",instance_id:e}),Ke=(r,e)=>r.callWS({type:"bpo/instance/cancel",instance_id:e}),Ge=(r,e)=>r.callWS({type:"bpo/process/resume",process:e}),Ze=r=>r.callWS({type:"bpo/blueprints/list"}),Ye=(r,e,t,s)=>r.callWS({type:"bpo/process/start",process:e,...t?{key:t}:{},...Object.keys(s).length?{fields:s}:{}}),Je=(r,e)=>r.connection.subscribeMessage(()=>e(),{type:"bpo/tasks/subscribe"});function y(r){return r&&typeof r=="object"&&"message"in r?String(r.message):String(r)}var Qe="***",xt={string:"text",text:"text",number:"number",integer:"integer",bool:"bool",boolean:"bool",choice:"choice",select:"choice",date:"date",datetime:"datetime",file:"file",entity:"entity"},ye=r=>xt[r.type]??"text";function wt(r,e){let t=ye(r);if(t==="bool")return!!e;let s=String(e).trim();if(s==="")return null;if(t==="number"||t==="integer"){let i=Number(s);return Number.isFinite(i)?i:s}return s}function ie(r,e,t){return r.filter(s=>s.required&&ye(s)!=="bool").filter(s=>{let i=s.name in e?e[s.name]:t[s.name];return i==null||i===""}).map(s=>s.label||s.name)}function ne(r,e,t,s,i,a=!1){let n=ye(r),d=e===Qe,l=t!==void 0?t:d?null:e??null,h=o`<span class="label">${r.label||r.name}${r.required?o`<span class="req" title=${i("required")}> *</span>`:c}${r.pii?o` <span class="pii">PII</span>`:c}</span>`,g=m=>s(wt(r,m.target.value)),p;if(n==="bool")return o`<label class="field bool" data-field=${r.name}>
      <input type="checkbox" name=${r.name} .checked=${!!l} ?disabled=${a}
        @change=${m=>s(m.target.checked)} />${h}</label>`;if(n==="choice")p=o`<select name=${r.name} ?required=${r.required} ?disabled=${a} @change=${g}>
      <option value="" ?selected=${l===null}>${i("choose")}</option>
      ${(r.options??[]).map(m=>o`<option value=${m} ?selected=${l===m}>${m}</option>`)}
    </select>`;else{let m={number:"number",integer:"number",date:"date",datetime:"datetime-local"}[n]??"text",u=d?Qe:n==="file"?i("file_hint"):n==="entity"?"person.…":"";p=o`<input type=${m} name=${r.name} step=${n==="integer"?"1":"any"}
      .value=${l===null?"":String(l)} placeholder=${u}
      ?required=${r.required} ?disabled=${a} @input=${g} />`}return o`<label class="field" data-field=${r.name}>${h}${p}</label>`}var kt={title:"Business processes",tab_tasks:"My tasks",tab_instances:"Instances",tab_admin:"Admin",loading:"Loading…",no_tasks:"No open tasks. Well done!",no_instances:"No instances.",due:"Due {when}",overdue:"Overdue since {when}",reminders:"Reminders: {when}",assignee:"Assigned to {who}",queue:"Queue {group}",candidates:"For {who}",claim:"Claim",complete:"Done",required:"Required",missing:"Fill in: {fields}",masked:"Some personal data is hidden (***): you are not cleared to see it.",not_yours:"Only the assignee can finish this task.",file_hint:"Link or file name",yes:"Yes",no:"No",choose:"Choose…",status:"Status",current_step:"Current step",started:"Started {when}",history:"History",graph:"Process",tasks:"Tasks",fields:"Fields",back:"Back",cancel_instance:"Cancel instance",confirm_cancel:"Cancel instance {id}?",reassign:"Reassign",reassign_to:"person.…",blueprints:"Blueprints",problems:"Problems",no_problems:"No problems in the blueprints.",suspended:"Suspended",resume:"Resume",limits:"Limits",start:"Start a process",process:"Process",key:"Key (optional)",start_button:"Start",started_ok:"Started {id} ({status})",done_ok:"Finished: {title}",admins_only:"Only administrators see this tab.",open_panel:"Open",card_title:"My tasks",more:"+{n} more in the BPO panel",all_processes:"All",started_at:"Started",only_mine:"Only mine",everyone:"Everyone's",fill_in:"Fill in",limit_text:"{max} starts per {per}",limit_text_one:"1 start per {per}"},At={title:"業務プロセス",tab_tasks:"自分のタスク",tab_instances:"インスタンス",tab_admin:"管理",loading:"読み込み中…",no_tasks:"未完了のタスクはありません。",no_instances:"インスタンスはありません。",due:"期限 {when}",overdue:"期限切れ（{when}）",reminders:"リマインダー: {when}",assignee:"担当: {who}",queue:"キュー {group}",candidates:"候補: {who}",claim:"引き受ける",complete:"完了",required:"必須",missing:"入力してください: {fields}",masked:"個人情報の一部は非表示です（***）。閲覧権限がありません。",not_yours:"このタスクは担当者だけが完了できます。",file_hint:"リンクまたはファイル名",yes:"はい",no:"いいえ",choose:"選択…",status:"状態",current_step:"現在のステップ",started:"開始 {when}",history:"履歴",graph:"プロセス",tasks:"タスク",fields:"項目",back:"戻る",cancel_instance:"インスタンスを中止",confirm_cancel:"インスタンス {id} を中止しますか？",reassign:"担当変更",reassign_to:"person.…",blueprints:"ブループリント",problems:"問題",no_problems:"ブループリントに問題はありません。",suspended:"停止中",resume:"再開",limits:"制限",start:"プロセスを開始",process:"プロセス",key:"キー（任意）",start_button:"開始",started_ok:"{id} を開始しました（{status}）",done_ok:"完了しました: {title}",admins_only:"このタブは管理者だけが見られます。",open_panel:"開く",card_title:"自分のタスク",more:"ほか {n} 件は BPO パネルで",all_processes:"すべて",started_at:"開始",only_mine:"自分の分だけ",everyone:"全員の分",fill_in:"入力する",limit_text:"{per}あたり {max} 回",limit_text_one:"{per}あたり 1 回"};function b(r){let e=(r??"").toLowerCase().startsWith("ja")?At:kt;return(t,s)=>e[t].replace(/\{(\w+)\}/g,(i,a)=>String(s?.[a]??""))}function _(r,e){if(!e)return"";let t=new Date(e);if(Number.isNaN(t.getTime()))return e;let i={dateStyle:"medium",timeStyle:"short",timeZone:r?.locale?.time_zone==="server"?r.config?.time_zone:void 0};try{return new Intl.DateTimeFormat(r?.language||"en",i).format(t)}catch{return new Intl.DateTimeFormat(r?.language||"en",{...i,timeZone:void 0}).format(t)}}var x=class{constructor(e,t){this.host=e;this.load=t;this.loading=!1;this.again=!1;e.addController(this)}hostConnected(){this.host.hass&&this.start()}hostUpdated(){this.host.hass&&!this.unsubscribe&&this.start()}hostDisconnected(){let e=this.unsubscribe;this.unsubscribe=void 0,e?.then(t=>t?.()).catch(()=>{})}start(){this.unsubscribe=Je(this.host.hass,()=>{this.reload()}).catch(()=>{}),this.unsubscribe.then(()=>this.reload())}async reload(){if(this.loading){this.again=!0;return}this.loading=!0;try{do this.again=!1,await this.load();while(this.again)}finally{this.loading=!1}}};var v=C`
  :host {
    color: var(--primary-text-color, #212121);
    font-family: var(--ha-font-family-body, Roboto, system-ui, sans-serif);
    font-size: 14px;
  }
  .card {
    background: var(--card-background-color, #fff);
    border-radius: var(--ha-card-border-radius, 12px);
    border: 1px solid var(--divider-color, #e0e0e0);
    padding: 12px 16px;
    margin: 0 0 12px;
  }
  h2, h3 { margin: 0 0 8px; font-weight: 500; }
  h2 { font-size: 18px; }
  h3 { font-size: 15px; }
  .muted { color: var(--secondary-text-color, #727272); font-size: 13px; }
  .error { color: var(--error-color, #db4437); }
  .ok { color: var(--success-color, #43a047); }
  .warn { color: var(--warning-color, #ffa600); }
  .row { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
  .grow { flex: 1 1 auto; min-width: 0; }
  button {
    font: inherit;
    border: none;
    border-radius: 18px;
    padding: 6px 14px;
    min-height: 36px;
    cursor: pointer;
    background: var(--primary-color, #03a9f4);
    color: var(--text-primary-color, #fff);
  }
  button.secondary {
    background: transparent;
    color: var(--primary-color, #03a9f4);
    border: 1px solid var(--primary-color, #03a9f4);
  }
  button.danger { background: var(--error-color, #db4437); }
  button:disabled { opacity: 0.5; cursor: default; }
  input, select, textarea {
    font: inherit;
    box-sizing: border-box;
    width: 100%;
    padding: 8px;
    border: 1px solid var(--divider-color, #bdbdbd);
    border-radius: 6px;
    background: var(--secondary-background-color, #fafafa);
    color: inherit;
  }
  .form { display: grid; grid-template-columns: repeat(auto-fit, minmax(240px, 1fr)); column-gap: 16px; margin-top: 8px; }
  .field { display: block; margin: 0 0 10px; }
  .field .label { display: block; margin: 0 0 4px; font-size: 13px; color: var(--secondary-text-color, #727272); }
  .field.bool { display: flex; gap: 8px; align-items: center; }
  .field.bool input { width: auto; }
  .field.bool .label { margin: 0; }
  .req { color: var(--error-color, #db4437); }
  .pii, .badge {
    display: inline-block;
    font-size: 11px;
    padding: 1px 6px;
    border-radius: 8px;
    background: var(--secondary-background-color, #eee);
    color: var(--secondary-text-color, #727272);
  }
  .badge.overdue, .badge.failed { background: var(--error-color, #db4437); color: #fff; }
  .badge.running, .badge.open { background: var(--primary-color, #03a9f4); color: #fff; }
  .badge.completed, .badge.done { background: var(--success-color, #43a047); color: #fff; }
  .badge.suspended, .badge.cancelled { background: var(--warning-color, #ffa600); color: #fff; }
  ul.plain { list-style: none; padding: 0; margin: 0; }
  a { color: var(--primary-color, #03a9f4); }
`;var Et=r=>r%3600===0?`${r/3600} h`:r%60===0?`${r/60} min`:`${r} s`;function St(r,e){let{max_starts:t,window:s}=r.limits;return t==null?"":e(t===1?"limit_text_one":"limit_text",{max:t,per:typeof s=="number"?Et(s):"—"})}var N=class extends f{constructor(){super();this.live=new x(this,()=>this.load());this.blueprints=void 0,this.problems=[],this.error="",this.message="",this.process="",this.key="",this.edited={}}async load(){try{let t=await Ze(this.hass);this.blueprints=t.blueprints,this.problems=t.errors}catch(t){this.error=y(t)}}async act(t){this.error="",this.message="";try{this.message=await t(),await this.live.reload()}catch(s){this.error=y(s)}}start(t){let s=b(this.hass.language),i=ie(t.fields,this.edited,{});if(i.length){this.error=s("missing",{fields:i.join(", ")});return}let a=Object.fromEntries(Object.entries(this.edited).filter(([,n])=>n!==null));this.act(async()=>{let n=await Ye(this.hass,t.process,this.key.trim(),a);return this.edited={},this.key="",s("started_ok",{id:n.instance_id,status:n.status})})}render(){let t=b(this.hass?.language);if(!this.hass?.user?.is_admin)return o`<div class="muted">${t("admins_only")}</div>`;if(!this.blueprints)return this.error?o`<div class="error">${this.error}</div>`:o`<div class="muted">${t("loading")}</div>`;let s=this.blueprints.filter(a=>a.manual&&!a.suspended),i=s.find(a=>a.process===this.process)??s[0];return o`
      ${this.message?o`<div class="card ok message" role="status">${this.message}</div>`:c}
      ${this.error?o`<div class="card error" role="alert">${this.error}</div>`:c}
      ${i?this.renderStartForm(s,i,t):c}
      <div class="card problems">
        <h2>${t("problems")}</h2>
        ${this.problems.length?o`<ul class="plain">${this.problems.map(a=>this.renderProblem(a))}</ul>`:o`<div class="muted">${t("no_problems")}</div>`}
      </div>
      <div class="card">
        <h2>${t("blueprints")}</h2>
        <ul class="plain">${this.blueprints.map(a=>this.renderBlueprint(a,t))}</ul>
      </div>`}renderStartForm(t,s,i){let a=d=>{this.process=d.target.value,this.edited={}},n=d=>l=>this.edited={...this.edited,[d]:l};return o`<div class="card start-form">
      <h2>${i("start")}</h2>
      <label class="field"
        ><span class="label">${i("process")}</span>
        <select name="process" @change=${a}>
          ${t.map(d=>o`<option value=${d.process} ?selected=${d===s}>${d.title} (${d.process})</option>`)}
        </select></label
      >
      <label class="field"
        ><span class="label">${i("key")}</span>
        <input name="key" .value=${this.key} @input=${d=>this.key=d.target.value}
      /></label>
      <div class="form">
        ${s.fields.map(d=>ne(d,void 0,this.edited[d.name],n(d.name),i))}
      </div>
      <button class="start" @click=${()=>this.start(s)}>${i("start_button")}</button>
    </div>`}renderProblem(t){let s=`${t.file}${t.line?`:${t.line}`:""}`;return o`<li class="error problem">
      <code>${s}</code>${t.field?o` <code>${t.field}</code>`:c} — ${t.message}
    </li>`}renderBlueprint(t,s){let i=()=>this.act(async()=>(await Ge(this.hass,t.process),`${s("resume")}: ${t.process}`)),a=St(t,s);return o`<li class="blueprint" data-process=${t.process} style="margin-bottom:8px">
      <div class="row">
        <strong class="grow">${t.title} <span class="muted">${t.process}</span></strong>
        ${t.suspended?o`<span class="badge suspended">${s("suspended")}</span>
              <button class="resume" @click=${()=>{i()}}>${s("resume")}</button>`:c}
      </div>
      <div class="muted"><code>${t.file}</code>${a?` · ${s("limits")}: ${a}`:c}</div>
    </li>`}};N.properties={hass:{attribute:!1},blueprints:{state:!0},problems:{state:!0},error:{state:!0},message:{state:!0},process:{state:!0},key:{state:!0},edited:{state:!0}},N.styles=[v];var U=class extends f{setConfig(e){if(!e||typeof e!="object")throw new Error("bpo-tasks-card: the card needs a configuration");if(e.limit!==void 0&&(!Number.isInteger(e.limit)||e.limit<1))throw new Error("bpo-tasks-card: limit must be a whole number of 1 or more");this.config=e}getCardSize(){return 1+(this.config?.limit??5)*2}getGridOptions(){return{columns:6,min_columns:4}}static getStubConfig(){return{limit:5}}render(){if(!this.hass||!this.config)return o``;let e=b(this.hass.language);return o`<ha-card>
      <div style="padding:12px 16px 4px"><h2>${this.config.title??e("card_title")}</h2>
        <bpo-task-list .hass=${this.hass} compact .limit=${this.config.limit??5}></bpo-task-list>
      </div>
    </ha-card>`}};U.properties={hass:{attribute:!1},config:{state:!0}},U.styles=[v];var Ct=/^([A-Za-z0-9_]+)\s*([[({/\\>]+)"(.*)"([\])}/\\]+)$/,Tt=/^([A-Za-z0-9_]+)\s+(-->|-\.->)(?:\|"(.*)"\|)?\s*([A-Za-z0-9_]+)$/,Rt={"([":"start","[":"task","{":"choice","((":"end","(((":"end","[[":"action","{{":"wait","[/":"parallel","[\\":"parallel",">":"flag"},Xe=r=>r.replace(/#quot;/g,'"').replace(/<br\/?>/g,`
`);function et(r){let e=[],t=[];for(let s of r.split(`
`)){let i=s.trim(),a=Tt.exec(i);if(a){t.push({from:a[1],to:a[4],label:Xe(a[3]??""),dashed:a[2]==="-.->"});continue}let n=Ct.exec(i);n&&e.push({id:n[1],label:Xe(n[3]),shape:Rt[n[2]]??"task"})}return{nodes:e,edges:t}}var tt=r=>"s_"+r.replace(/[^A-Za-z0-9_]/g,"_");function st(r,e,t){let{nodes:s,edges:i}=et(r),a=new Set(e.map(tt)),n=new Set(t.map(tt)),d=new Map(s.map(l=>[l.id,l.label.split(`
`)[0].split(":")[0]]));return o`<ol class="graph">
    ${s.map(l=>{let[h,...g]=l.label.split(`
`),p=i.filter(u=>u.from===l.id),m=a.has(l.id)?"current":n.has(l.id)?"visited":"";return o`<li class="node ${l.shape} ${m}" data-node=${l.id}>
        <div class="box"><strong>${h}</strong>${g.map(u=>o`<div class="muted">${u}</div>`)}</div>
        ${p.length?o`<ul class="edges">${p.map(u=>o`<li class=${u.dashed?"dashed":""}>→ ${d.get(u.to)??u.to}${u.label?o` <span class="muted">(${u.label})</span>`:c}</li>`)}</ul>`:c}
      </li>`})}
  </ol>`}var Ht=new Set(["running","waiting","suspended"]),j=class extends f{constructor(){super();this.live=new x(this,()=>this.load());this.instance=void 0,this.error="",this.reassignTo={}}updated(t){t.has("instanceId")&&t.get("instanceId")!==void 0&&this.live.reload()}async load(){try{this.instance=await We(this.hass,this.instanceId),this.error=""}catch(t){this.error=y(t)}}async act(t){try{await t(),await this.live.reload()}catch(s){this.error=y(s)}}render(){let t=b(this.hass?.language),s=this.instance;if(!s)return this.error?o`<div class="error" role="alert">${this.error}</div>`:o`<div class="muted">${t("loading")}</div>`;let i=!!this.hass?.user?.is_admin,a=s.tasks.filter(h=>h.status==="open"),n=s.current_steps??[...new Set(a.map(h=>h.step))],d=s.history.map(h=>h.step).filter(h=>!!h),l=()=>{confirm(t("confirm_cancel",{id:s.instance_id}))&&this.act(()=>Ke(this.hass,s.instance_id))};return o`<div class="instance" data-instance-id=${s.instance_id}>
      <div class="card">
        <div class="row">
          <h2 class="grow">${s.process_title??s.process} · ${s.key}</h2>
          <span class="badge ${s.status} status">${s.status}</span>
        </div>
        <dl>
          <dt>${t("current_step")}</dt>
          <dd class="current">${n.join(", ")||"—"}</dd>
          ${s.started?this.renderTimes(s,t):c}
          ${s.error?o`<dt class="error">!</dt><dd class="error">${s.error}</dd>`:c}
          ${Object.entries(s.fields).map(([h,g])=>o`<dt>${h}</dt><dd>${g===null?"—":String(g)}</dd>`)}
        </dl>
        ${s.masked?o`<div class="muted masked">${t("masked")}</div>`:c}
        ${i&&Ht.has(s.status)?o`<div class="row" style="margin-top:8px">
              <button class="danger cancel" @click=${l}>${t("cancel_instance")}</button>
            </div>`:c}
        ${this.error?o`<div class="error" role="alert">${this.error}</div>`:c}
      </div>
      ${a.length?o`<div class="card">
            <h3>${t("tasks")}</h3>
            <ul class="plain">${a.map(h=>this.renderTask(h,i,t))}</ul>
          </div>`:c}
      <div class="card history">
        <h3>${t("history")}</h3>
        <ol class="timeline">${s.history.map(h=>this.renderEntry(h))}</ol>
      </div>
      ${s.graph?o`<div class="card"><h3>${t("graph")}</h3>${st(s.graph,n,d)}</div>`:c}
    </div>`}renderTimes(t,s){let i=t.ended?` → ${_(this.hass,t.ended)}`:"";return o`<dt>${s("started_at")}</dt><dd>${_(this.hass,t.started??null)}${i}</dd>`}renderTask(t,s,i){let a=this.reassignTo[t.task_id]??"",n=d=>this.reassignTo={...this.reassignTo,[t.task_id]:d.target.value};return o`<li class="row" data-task-id=${t.task_id}>
      <span class="grow">${t.title} <span class="muted">${t.assignee??t.group??""}</span></span>
      ${s?o`<input style="max-width:160px" placeholder=${i("reassign_to")} .value=${a} @input=${n} />
            <button
              class="secondary reassign"
              ?disabled=${!a}
              @click=${()=>{this.act(()=>Ve(this.hass,t.task_id,a))}}
            >
              ${i("reassign")}
            </button>`:c}
    </li>`}renderEntry(t){return o`<li data-type=${t.type} data-task-id=${t.task_id??""}>
      <div>
        <strong>${t.type.replace(/_/g," ")}</strong>${t.step?` · ${t.step}`:c}${t.detail?o` · <span class="detail">${t.detail}</span>`:c}
      </div>
      <div class="muted">${[_(this.hass,t.at),t.by,t.source].filter(Boolean).join(" · ")}</div>
    </li>`}};j.properties={hass:{attribute:!1},instanceId:{attribute:"instance-id"},instance:{state:!0},error:{state:!0},reassignTo:{state:!0}},j.styles=[v,C`
      .timeline { list-style: none; margin: 0; padding: 0 0 0 12px; border-left: 2px solid var(--divider-color, #e0e0e0); }
      .timeline li { position: relative; padding: 0 0 10px 10px; }
      .timeline li::before {
        content: ""; position: absolute; left: -19px; top: 4px; width: 10px; height: 10px; border-radius: 50%;
        background: var(--primary-color, #03a9f4);
      }
      .graph { list-style: none; margin: 0; padding: 0; }
      .graph .node { margin: 0 0 8px; }
      .graph .box { border: 1px solid var(--divider-color, #bdbdbd); border-radius: 4px; padding: 6px 10px; white-space: pre-line; }
      .graph .start .box, .graph .end .box { border-radius: 18px; }
      .graph .choice .box { border-style: dashed; }
      .graph .visited .box { background: var(--secondary-background-color, #f5f5f5); }
      .graph .current .box { border: 2px solid var(--primary-color, #03a9f4); }
      .graph .edges { list-style: none; margin: 2px 0 0 16px; padding: 0; font-size: 13px; }
      .graph .edges .dashed { font-style: italic; }
      dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 12px; margin: 0; }
      dt { color: var(--secondary-text-color, #727272); }
      dd { margin: 0; overflow-wrap: anywhere; }
    `];var L=class extends f{constructor(){super();this.live=new x(this,()=>this.load());this.selected="",this.rows=void 0,this.error="",this.status=""}async load(){try{this.rows=await qe(this.hass),this.error=""}catch(t){this.error=y(t)}}render(){let t=b(this.hass?.language);if(this.selected)return o`<button class="secondary back" @click=${()=>this.selected=""}>← ${t("back")}</button>
        <div style="height:8px"></div>
        <bpo-instance-view .hass=${this.hass} .instanceId=${this.selected}></bpo-instance-view>`;if(this.error)return o`<div class="error" role="alert">${this.error}</div>`;if(!this.rows)return o`<div class="muted">${t("loading")}</div>`;let s=[...new Set(this.rows.map(n=>n.status))].sort(),i=[...this.rows].filter(n=>!this.status||n.status===this.status).sort((n,d)=>(d.updated??d.started).localeCompare(n.updated??n.started)),a=n=>this.status=n.target.value;return o`
      <div class="row" style="margin-bottom:8px">
        <label class="muted">${t("status")}</label>
        <select style="width:auto" class="status-filter" @change=${a}>
          <option value="">${t("all_processes")}</option>
          ${s.map(n=>o`<option value=${n} ?selected=${n===this.status}>${n}</option>`)}
        </select>
      </div>
      ${i.length?c:o`<div class="muted empty">${t("no_instances")}</div>`}
      ${i.map(n=>this.renderRow(n,t))}`}renderRow(t,s){let i=()=>this.selected=t.instance_id,a=t.current_steps.length?`${s("current_step")}: ${t.current_steps.join(", ")} · `:"";return o`<div
      class="card instance-row"
      role="button"
      tabindex="0"
      style="cursor:pointer"
      data-instance-id=${t.instance_id}
      @click=${i}
      @keydown=${n=>n.key==="Enter"&&i()}
    >
      <div class="row">
        <strong class="grow">${t.process_title} · ${t.key}</strong><span class="badge ${t.status}">${t.status}</span>
      </div>
      <div class="muted">${a}${s("started",{when:_(this.hass,t.started)})}</div>
    </div>`}};L.properties={hass:{attribute:!1},selected:{type:String},rows:{state:!0},error:{state:!0},status:{state:!0}},L.styles=[v];var I=class extends f{constructor(){super(),this.narrow=!1,this.tab="tasks"}render(){if(!this.hass)return o``;let e=b(this.hass.language),t=[["tasks",e("tab_tasks")],["instances",e("tab_instances")]];return this.hass.user?.is_admin&&t.push(["admin",e("tab_admin")]),o`
      <header><ha-menu-button .hass=${this.hass} .narrow=${this.narrow}></ha-menu-button><span>${e("title")}</span></header>
      <nav role="tablist">${t.map(([s,i])=>o`<button role="tab" data-tab=${s}
          aria-selected=${this.tab===s?"true":"false"} @click=${()=>this.tab=s}>${i}</button>`)}</nav>
      <main>${this.tab==="tasks"?o`<bpo-task-list .hass=${this.hass}></bpo-task-list>`:this.tab==="instances"?o`<bpo-instances .hass=${this.hass}></bpo-instances>`:o`<bpo-admin .hass=${this.hass}></bpo-admin>`}</main>`}};I.properties={hass:{attribute:!1},narrow:{type:Boolean},route:{attribute:!1},panel:{attribute:!1},tab:{state:!0}},I.styles=[v,C`
      :host { display: block; min-height: 100vh; background: var(--primary-background-color, #fafafa); }
      header {
        display: flex; align-items: center; gap: 8px; height: 56px; padding: 0 12px;
        background: var(--app-header-background-color, var(--primary-color, #03a9f4));
        color: var(--app-header-text-color, #fff);
        font-size: 20px;
      }
      nav { display: flex; gap: 4px; padding: 0 12px; background: var(--card-background-color, #fff);
        border-bottom: 1px solid var(--divider-color, #e0e0e0); }
      nav button {
        background: none; color: var(--secondary-text-color, #727272); border-radius: 0;
        border-bottom: 2px solid transparent; padding: 10px 14px;
      }
      nav button[aria-selected="true"] { color: var(--primary-color, #03a9f4); border-bottom-color: var(--primary-color, #03a9f4); }
      main { max-width: 860px; margin: 0 auto; padding: 16px; }
      @media (max-width: 420px) {
        header { font-size: 18px; }
        nav { padding: 0; }
        nav button { flex: 1 1 0; padding: 10px 4px; }
        main { padding: 8px; }
      }
    `];var Pt=r=>r.replace(/_/g," ").replace(/^./,e=>e.toUpperCase()),B=class extends f{constructor(){super(),this.compact=!1,this.edited={},this.busy=!1,this.error="",this.open=!1}async run(e,t){this.busy=!0,this.error="";try{await e(),t(),this.dispatchEvent(new CustomEvent("bpo-changed",{bubbles:!0,composed:!0,detail:this.task}))}catch(s){this.error=y(s)}finally{this.busy=!1}}finish(e){let t=b(this.hass.language),s=ie(this.task.form,this.edited,this.task.fields);if(s.length){this.error=t("missing",{fields:s.join(", ")});return}let i=Object.fromEntries(Object.entries(this.edited).filter(([,a])=>a!==null));this.run(()=>De(this.hass,this.task.task_id,e,i),()=>this.edited={})}render(){let e=this.task,t=b(this.hass.language),s=!e.can_complete||this.busy,i=this.compact&&e.form.length>0&&!this.open,a=e.assignee?t("assignee",{who:e.assignee}):e.group?t("queue",{group:e.group}):e.candidates.length?t("candidates",{who:e.candidates.join(", ")}):"";return o`<div class="card task ${e.overdue?"is-overdue":""}" data-task-id=${e.task_id}>
      <div class="row">
        <h3 class="grow title">${e.title}</h3>
        ${e.overdue?o`<span class="badge overdue">${t("overdue",{when:_(this.hass,e.due)})}</span>`:c}
      </div>
      <div class="muted">${e.process_title} · ${e.key}${a?o` · ${a}`:c}</div>
      ${e.due&&!e.overdue?o`<div class="muted due">${t("due",{when:_(this.hass,e.due)})}</div>`:c}
      ${e.reminders.length&&!this.compact?o`<div class="muted">${t("reminders",{when:e.reminders.map(n=>_(this.hass,n)).join(", ")})}</div>`:c}
      ${e.masked?o`<div class="muted masked">${t("masked")}</div>`:c}
      ${e.form.length&&!i?o`<form class="form" @submit=${n=>n.preventDefault()}>${e.form.map(n=>ne(n,e.fields[n.name],this.edited[n.name],d=>this.edited={...this.edited,[n.name]:d},t,s))}</form>`:c}
      <div class="row actions">
        ${e.can_claim?o`<button class="secondary claim" ?disabled=${this.busy}
              @click=${()=>{this.run(()=>ze(this.hass,e.task_id),()=>{})}}>${t("claim")}</button>`:c}
        ${i?o`<button class="secondary unfold" @click=${()=>this.open=!0}>${t("fill_in")}</button>`:e.outcomes.length?e.outcomes.map(n=>o`<button class="outcome" data-outcome=${n} ?disabled=${s}
              @click=${()=>this.finish(n)}>${Pt(n)}</button>`):o`<button class="outcome" data-outcome="" ?disabled=${s} @click=${()=>this.finish()}>${t("complete")}</button>`}
      </div>
      ${!e.can_complete&&!e.can_claim?o`<div class="muted">${t("not_yours")}</div>`:c}
      ${this.error?o`<div class="error" role="alert">${this.error}</div>`:c}
    </div>`}};B.properties={hass:{attribute:!1},task:{attribute:!1},compact:{type:Boolean},edited:{state:!0},busy:{state:!0},error:{state:!0},open:{state:!0}},B.styles=[v];var rt={ATTRIBUTE:1,CHILD:2,PROPERTY:3,BOOLEAN_ATTRIBUTE:4,EVENT:5,ELEMENT:6},it=r=>(...e)=>({_$litDirective$:r,values:e}),ae=class{constructor(e){}get _$AU(){return this._$AM._$AU}_$AT(e,t,s){this._$Ct=e,this._$AM=t,this._$Ci=s}_$AS(e,t){return this.update(e,t)}update(e,t){return this.render(...t)}};var{I:Mt}=Ie,nt=r=>r;var at=()=>document.createComment(""),F=(r,e,t)=>{let s=r._$AA.parentNode,i=e===void 0?r._$AB:e._$AA;if(t===void 0){let a=s.insertBefore(at(),i),n=s.insertBefore(at(),i);t=new Mt(a,n,r,r.options)}else{let a=t._$AB.nextSibling,n=t._$AM,d=n!==r;if(d){let l;t._$AQ?.(r),t._$AM=r,t._$AP!==void 0&&(l=r._$AU)!==n._$AU&&t._$AP(l)}if(a!==i||d){let l=t._$AA;for(;l!==a;){let h=nt(l).nextSibling;nt(s).insertBefore(l,i),l=h}}}return t},S=(r,e,t=r)=>(r._$AI(e,t),r),Ot={},ot=(r,e=Ot)=>r._$AH=e,lt=r=>r._$AH,oe=r=>{r._$AR(),r._$AA.remove()};var dt=(r,e,t)=>{let s=new Map;for(let i=e;i<=t;i++)s.set(r[i],i);return s},ct=it(class extends ae{constructor(r){if(super(r),r.type!==rt.CHILD)throw Error("repeat() can only be used in text expressions")}dt(r,e,t){let s;t===void 0?t=e:e!==void 0&&(s=e);let i=[],a=[],n=0;for(let d of r)i[n]=s?s(d,n):n,a[n]=t(d,n),n++;return{values:a,keys:i}}render(r,e,t){return this.dt(r,e,t).values}update(r,[e,t,s]){let i=lt(r),{values:a,keys:n}=this.dt(e,t,s);if(!Array.isArray(i))return this.ut=n,a;let d=this.ut??=[],l=[],h,g,p=0,m=i.length-1,u=0,$=a.length-1;for(;p<=m&&u<=$;)if(i[p]===null)p++;else if(i[m]===null)m--;else if(d[p]===n[u])l[u]=S(i[p],a[u]),p++,u++;else if(d[m]===n[$])l[$]=S(i[m],a[$]),m--,$--;else if(d[p]===n[$])l[$]=S(i[p],a[$]),F(r,l[$+1],i[p]),p++,$--;else if(d[m]===n[u])l[u]=S(i[m],a[u]),F(r,i[p],i[m]),m--,u++;else if(h===void 0&&(h=dt(n,u,$),g=dt(d,p,m)),h.has(d[p]))if(h.has(d[m])){let w=g.get(n[u]),de=w!==void 0?i[w]:null;if(de===null){let _e=F(r,i[p]);S(_e,a[u]),l[u]=_e}else l[u]=S(de,a[u]),F(r,i[p],de),i[w]=null;u++}else oe(i[m]),m--;else oe(i[p]),p++;for(;u<=$;){let w=F(r,l[$+1]);S(w,a[u]),l[u++]=w}for(;p<=m;){let w=i[p++];w!==null&&oe(w)}return this.ut=n,ot(r,l),E}});function Nt(r){r.ctrlKey||r.metaKey||r.shiftKey||(r.preventDefault(),history.pushState(null,"",r.currentTarget.getAttribute("href")),window.dispatchEvent(new CustomEvent("location-changed",{detail:{replace:!1}})))}var D=class extends f{constructor(){super();this.live=new x(this,()=>this.load());this.compact=!1,this.limit=0,this.tasks=void 0,this.error="",this.everyone=!1,this.addEventListener("bpo-changed",()=>{this.live.reload()})}async load(){try{this.tasks=(await Fe(this.hass)).filter(t=>t.status==="open"),this.error=""}catch(t){this.error=y(t)}}person(){let t=this.hass.user?.id;return Object.values(this.hass.states??{}).find(s=>s.entity_id.startsWith("person.")&&s.attributes.user_id===t)?.entity_id}mine(t){if(!this.hass.user?.is_admin||this.everyone)return t;let s=this.person();return t.filter(i=>i.mine??(s!==void 0&&i.assignee===s||i.can_claim))}render(){let t=b(this.hass?.language);if(this.error)return o`<div class="error" role="alert">${this.error}</div>`;if(!this.tasks)return o`<div class="muted">${t("loading")}</div>`;let i=!!this.hass.user?.is_admin&&!this.compact?o`<div class="row scope" style="margin-bottom:8px">${[[!1,t("only_mine")],[!0,t("everyone")]].map(([l,h])=>o`<button class=${this.everyone===l?"":"secondary"} data-scope=${l?"all":"mine"}
            aria-pressed=${this.everyone===l?"true":"false"} @click=${()=>this.everyone=l}>${h}</button>`)}</div>`:c,a=this.mine(this.tasks);if(!a.length)return o`${i}<div class="muted empty">${t("no_tasks")}</div>`;let n=[...a].sort((l,h)=>Number(h.overdue)-Number(l.overdue)||(l.due??"~").localeCompare(h.due??"~")),d=this.limit>0?n.slice(0,this.limit):n;return o`${i}<div class="tasks">
      ${ct(d,l=>l.task_id,l=>o`<bpo-task-item .hass=${this.hass} .task=${l} ?compact=${this.compact}></bpo-task-item>`)}
      ${d.length<n.length?o`<div class="muted more"><a href="/bpo" @click=${Nt}>${t("more",{n:n.length-d.length})}</a></div>`:c}
    </div>`}};D.properties={hass:{attribute:!1},compact:{type:Boolean},limit:{type:Number},tasks:{state:!0},error:{state:!0},everyone:{state:!0}},D.styles=[v];var Ut=[["bpo-task-item",B],["bpo-task-list",D],["bpo-instance-view",j],["bpo-instances",L],["bpo-admin",N],["bpo-panel",I],["bpo-tasks-card",U]];for(let[r,e]of Ut)customElements.get(r)||customElements.define(r,e);var le=window;le.customCards=le.customCards??[];le.customCards.some(r=>r.type==="bpo-tasks-card")||le.customCards.push({type:"bpo-tasks-card",name:"BPO tasks",description:"Your open bpo tasks with their forms and outcome buttons.",preview:!1});
/*! Bundled license information:

@lit/reactive-element/css-tag.js:
  (**
   * @license
   * Copyright 2019 Google LLC
   * SPDX-License-Identifier: BSD-3-Clause
   *)

@lit/reactive-element/reactive-element.js:
lit-html/lit-html.js:
lit-element/lit-element.js:
lit-html/directive.js:
lit-html/directives/repeat.js:
  (**
   * @license
   * Copyright 2017 Google LLC
   * SPDX-License-Identifier: BSD-3-Clause
   *)

lit-html/is-server.js:
  (**
   * @license
   * Copyright 2022 Google LLC
   * SPDX-License-Identifier: BSD-3-Clause
   *)

lit-html/directive-helpers.js:
  (**
   * @license
   * Copyright 2020 Google LLC
   * SPDX-License-Identifier: BSD-3-Clause
   *)
*/
